// Managers: mb-redfish itself (ManagerType Service, Id from the config) and one BMC per device,
// under the device's System Id: what a real server's BMC is to Ironic — the System's ManagedBy, and
// the owner of its virtual media (virtual_media_resource.cpp).
#include <fmt/format.h>

#include "redfish/service.hpp"

namespace mb::redfish {

namespace {

constexpr const char* kManagers = "/redfish/v1/Managers";

std::string device_manager_uuid(const DeviceInfo& d) {
    // Distinct from the System's (…-0000-<mac>): same board revision and MAC, another clock_seq.
    uint32_t rev = d.revision ? d.revision->code : 0;
    return fmt::format("{:08x}-0000-0000-0001-{}", rev, d.mac.bare());
}

void service_manager(Context& c, Reply& r, const std::string& id) {
    ojson managers = ojson::array();
    for (auto& d : c.service.devices()) managers.push_back(odata_link(manager_uri(d)));
    r.body = {{"@odata.id", fmt::format("{}/{}", kManagers, id)},
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
              {"Links", {{"ManagerForManagers", managers}}}};
}

void device_manager(Context& c, Reply& r, const DeviceInfo& d) {
    r.body = {
        {"@odata.id", manager_uri(d)},
        {"@odata.type", "#Manager.v1_17_0.Manager"},
        {"Id", d.id},
        {"Name", fmt::format("BMC of {}", d.name.empty() ? d.id : d.name)},
        {"Description", "mb-redfish acting as this device's BMC (power by its PoE port, boot by UEFI variables)"},
        {"ManagerType", "BMC"},
        {"Manufacturer", "Metal Boot"},
        {"Model", "mb-redfish"},
        {"FirmwareVersion", MB_VERSION},
        {"UUID", device_manager_uuid(d)},
        {"PowerState", "On"},
        {"DateTime", iso_time(c.now)},
        {"DateTimeLocalOffset", "+00:00"},
        {"Status", {{"State", "Enabled"}, {"Health", "OK"}}},
        {"VirtualMedia", odata_link(manager_uri(d) + "/VirtualMedia")},
        {"Links",
         {{"ManagerForServers", ojson::array({odata_link("/redfish/v1/Systems/" + d.id)})},
          {"ManagerForChassis", ojson::array({odata_link("/redfish/v1/Chassis/" + d.id)})},
          {"ManagedBy", ojson::array({odata_link(fmt::format("{}/{}", kManagers, c.service.config().manager_id))})}}}};
}

}  // namespace

std::string manager_uri(const DeviceInfo& d) {
    return fmt::format("{}/{}", kManagers, d.id);
}

void register_managers(Service& s) {
    s.route(kManagers, "GET", Privilege::login, [](Context& c, Reply& r) {
        ojson members = ojson::array({odata_link(fmt::format("{}/{}", kManagers, c.service.config().manager_id))});
        for (auto& d : c.service.devices()) members.push_back(odata_link(manager_uri(d)));
        r.body = {{"@odata.id", kManagers},
                  {"@odata.type", "#ManagerCollection.ManagerCollection"},
                  {"Name", "Manager Collection"},
                  {"Members@odata.count", members.size()},
                  {"Members", members}};
    });
    s.route("/redfish/v1/Managers/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        const auto& id = c.params[0];
        if (id == c.service.config().manager_id) return service_manager(c, r, id);
        if (auto* d = c.service.find_device(id)) return device_manager(c, r, *d);
        messages::resource_not_found(r, "Manager", id);
    });
}

}  // namespace mb::redfish
