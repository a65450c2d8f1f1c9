// Manager: mb-redfish itself, the "BMC" of every Pi it serves.
#include "redfish/service.hpp"

namespace mb::redfish {

void register_managers(Service& s) {
    s.route("/redfish/v1/Managers", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto id = c.service.config().manager_id;
        r.body = {{"@odata.id", "/redfish/v1/Managers"},
                  {"@odata.type", "#ManagerCollection.ManagerCollection"},
                  {"Name", "Manager Collection"},
                  {"Members@odata.count", 1},
                  {"Members", ojson::array({odata_link("/redfish/v1/Managers/" + id)})}};
    });
    s.route("/redfish/v1/Managers/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto id = c.service.config().manager_id;
        if (c.params[0] != id) return messages::resource_not_found(r, "Manager", c.params[0]);
        ojson systems = ojson::array(), chassis = ojson::array();
        for (auto& d : c.service.devices()) {
            systems.push_back(odata_link("/redfish/v1/Systems/" + d.id));
            chassis.push_back(odata_link("/redfish/v1/Chassis/" + d.id));
        }
        r.body = {{"@odata.id", "/redfish/v1/Managers/" + id},
                  {"@odata.type", "#Manager.v1_17_0.Manager"},
                  {"Id", id},
                  {"Name", "Metal Boot Redfish service"},
                  {"ManagerType", "Service"},
                  {"Manufacturer", "Metal Boot"},
                  {"Model", "mb-redfish"},
                  {"FirmwareVersion", MB_VERSION},
                  {"UUID", c.service.config().service_uuid},
                  {"DateTime", iso_time(c.now)},
                  {"DateTimeLocalOffset", "+00:00"},
                  {"Status", {{"State", "Enabled"}, {"Health", "OK"}}},
                  {"Links", {{"ManagerForServers", systems}, {"ManagerForChassis", chassis}}}};
    });
}

}  // namespace mb::redfish
