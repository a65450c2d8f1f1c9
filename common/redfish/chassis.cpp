// Chassis: one per device (the board in its PoE HAT), powered through the switch port.
#include <fmt/format.h>

#include "redfish/service.hpp"

namespace mb::redfish {

void register_chassis(Service& s) {
    s.route("/redfish/v1/Chassis", "GET", Privilege::login, [](Context& c, Reply& r) {
        ojson members = ojson::array();
        for (auto& d : c.service.devices()) members.push_back(odata_link("/redfish/v1/Chassis/" + d.id));
        r.body = {{"@odata.id", "/redfish/v1/Chassis"},
                  {"@odata.type", "#ChassisCollection.ChassisCollection"},
                  {"Name", "Chassis Collection"},
                  {"Members@odata.count", members.size()},
                  {"Members", members}};
    });
    s.route("/redfish/v1/Chassis/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto* d = c.service.find_device(c.params[0]);
        if (!d) return messages::resource_not_found(r, "Chassis", c.params[0]);
        auto power = c.service.backend().power(*d);
        r.body = {{"@odata.id", "/redfish/v1/Chassis/" + d->id},
                  {"@odata.type", "#Chassis.v1_23_0.Chassis"},
                  {"Id", d->id},
                  {"Name", d->name.empty() ? d->id : d->name},
                  {"ChassisType", "Module"},
                  {"Manufacturer", "Raspberry Pi Ltd"},
                  {"Model", d->revision ? d->revision->model() : "Raspberry Pi 4"},
                  {"UUID", fmt::format("{:08x}-0000-0000-0000-{}", d->revision ? d->revision->code : 0, d->mac.bare())},
                  {"PowerState", power.state.empty() ? ojson(nullptr) : ojson(power.state)},
                  {"Status", {{"State", "Enabled"}, {"Health", power.state.empty() ? "Warning" : power.health}}},
                  {"Links",
                   {{"ComputerSystems", ojson::array({odata_link("/redfish/v1/Systems/" + d->id)})},
                    {"ManagedBy", ojson::array({odata_link(manager_uri(*d))})}}}};
        if (!d->serial.empty()) r.body["SerialNumber"] = d->serial;
    });
}

}  // namespace mb::redfish
