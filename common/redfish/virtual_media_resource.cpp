// VirtualMedia: each device's virtual CD slot "Cd", under its Manager (where sushy ≤ 4.x looks) and
// under its System (ComputerSystem.VirtualMedia, where newer clients look first); both are views of
// the one slot kept in the device's Redfish state (virtual_media.hpp).
#include <fmt/format.h>

#include "redfish/service.hpp"
#include "redfish/virtual_media.hpp"

namespace mb::redfish {

namespace {

struct Place {
    const char* prefix;  // "/redfish/v1/Managers" or "/redfish/v1/Systems"
    const char* owner;   // "Manager" or "ComputerSystem" (for 404 messages)
};

const DeviceInfo* owner_or_404(Context& c, Reply& r, const Place& p) {
    auto* d = c.service.find_device(c.params[0]);
    if (!d) messages::resource_not_found(r, p.owner, c.params[0]);
    return d;
}

bool slot_or_404(Context& c, Reply& r) {
    if (c.params[1] == kVirtualCdId) return true;
    messages::resource_not_found(r, "VirtualMedia", c.params[1]);
    return false;
}

std::string image_name(const std::string& url) {
    auto path = url.substr(0, url.find_first_of("?#"));
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

void get_slot(Context& c, Reply& r, const Place& p, const DeviceInfo& d) {
    auto m = read_virtual_media(c.service.backend().load_state(d.mac));
    auto uri = fmt::format("{}/{}/VirtualMedia/{}", p.prefix, d.id, kVirtualCdId);
    auto& b = r.body;
    b["@odata.id"] = uri;
    b["@odata.type"] = "#VirtualMedia.v1_6_4.VirtualMedia";
    b["Id"] = kVirtualCdId;
    b["Name"] = "Virtual CD";
    b["Description"] = "An ISO image the device's UEFI fetches over HTTP into a RAM disk and boots as a CD";
    b["MediaTypes"] = ojson::array({"CD", "DVD"});
    b["ConnectedVia"] = "URI";
    b["Image"] = m.image.empty() ? ojson(nullptr) : ojson(m.image);
    b["ImageName"] = m.image.empty() ? ojson(nullptr) : ojson(image_name(m.image));
    b["Inserted"] = m.inserted;
    b["WriteProtected"] = true;
    b["TransferMethod"] = "Stream";
    const bool https = m.image.rfind("https://", 0) == 0;
    b["TransferProtocolType"] = m.image.empty() ? ojson(nullptr) : ojson(https ? "HTTPS" : "HTTP");
    b["EjectPolicy"] = "Persistent";
    b["Status"] = {{"State", m.inserted ? "Enabled" : "Disabled"}, {"Health", "OK"}};
    b["Actions"] = {
        {"#VirtualMedia.InsertMedia",
         {{"target", uri + "/Actions/VirtualMedia.InsertMedia"},
          {"TransferProtocolType@Redfish.AllowableValues",
           c.service.config().virtual_media_ca.empty() ? ojson::array({"HTTP"}) : ojson::array({"HTTP", "HTTPS"})},
          {"TransferMethod@Redfish.AllowableValues", ojson::array({"Stream"})}}},
        {"#VirtualMedia.EjectMedia", {{"target", uri + "/Actions/VirtualMedia.EjectMedia"}}}};
}

void media_action(Context& c, Reply& r, const Place& p, bool insert) {
    auto* d = owner_or_404(c, r, p);
    if (!d || !slot_or_404(c, r)) return;
    const auto& ca = c.service.config().virtual_media_ca;
    if (!edit_device(c.service.backend(), d->mac,
                     [&](efi::Variables& fw, const efi::Variables& base, nlohmann::json& st) {
                         return insert ? insert_media(r, c.body, fw, base, st, d->mac, ca)
                                       : eject_media(r, c.body, fw, base, st);
                     }))
        return;
    r.status = 204;
}

void register_at(Service& s, const Place& p) {
    std::string collection = std::string(p.prefix) + "/{}/VirtualMedia";
    s.route(collection, "GET", Privilege::login, [p](Context& c, Reply& r) {
        auto* d = owner_or_404(c, r, p);
        if (!d) return;
        auto uri = fmt::format("{}/{}/VirtualMedia", p.prefix, d->id);
        r.body = {{"@odata.id", uri},
                  {"@odata.type", "#VirtualMediaCollection.VirtualMediaCollection"},
                  {"Name", "Virtual Media Collection"},
                  {"Members@odata.count", 1},
                  {"Members", ojson::array({odata_link(fmt::format("{}/{}", uri, kVirtualCdId))})}};
    });
    s.route(collection + "/{}", "GET", Privilege::login, [p](Context& c, Reply& r) {
        auto* d = owner_or_404(c, r, p);
        if (d && slot_or_404(c, r)) get_slot(c, r, p, *d);
    });
    s.route(collection + "/{}/Actions/VirtualMedia.InsertMedia", "POST", Privilege::configure_manager,
            [p](Context& c, Reply& r) { media_action(c, r, p, true); });
    s.route(collection + "/{}/Actions/VirtualMedia.EjectMedia", "POST", Privilege::configure_manager,
            [p](Context& c, Reply& r) { media_action(c, r, p, false); });
}

}  // namespace

void register_virtual_media(Service& s) {
    register_at(s, {"/redfish/v1/Managers", "Manager"});
    register_at(s, {"/redfish/v1/Systems", "ComputerSystem"});
}

}  // namespace mb::redfish
