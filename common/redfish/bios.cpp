// Bios: Attributes = the Raspberry Pi ConfigDxe settings in firmware/<mac>.json; changes go to the
// @Redfish.Settings object (Bios/Settings) and are applied OnReset — written into the firmware
// variables when the System is next powered on or restarted through Redfish; ResetBios queues
// the defaults the same way.
#include <fmt/format.h>

#include "redfish/service.hpp"
#include "redfish/uefi_vars.hpp"

namespace mb::redfish {

using nlohmann::json;

void apply_pending_bios(Backend& backend, const device::Mac& mac) {
    auto st = backend.load_state(mac);
    if (!st.is_object() || (!st.contains("bios_pending") && !st.value("bios_reset", false))) return;
    auto fw = uefi::normalise(backend.load_firmware(mac));
    if (st.value("bios_reset", false))
        for (auto& s : uefi::settings()) uefi::remove_var(fw, s.name, uefi::kConfigDxeGuid);
    if (st.contains("bios_pending") && st["bios_pending"].is_object())
        for (auto& [k, v] : st["bios_pending"].items())
            if (auto* s = uefi::find_setting(k)) uefi::set_attribute(fw, *s, v.get<uint32_t>());
    backend.store_firmware(mac, fw);
    st.erase("bios_pending");
    st.erase("bios_reset");
    backend.store_state(mac, st);
}

namespace {

const DeviceInfo* device_or_404(Context& c, Reply& r) {
    auto* d = c.service.find_device(c.params[0]);
    if (!d) messages::resource_not_found(r, "ComputerSystem", c.params[0]);
    return d;
}

ojson pending_attributes(Context& c, const DeviceInfo& d) {
    auto& backend = c.service.backend();
    auto st = backend.load_state(d.mac);
    json fw = uefi::normalise(backend.load_firmware(d.mac));
    bool reset = st.is_object() && st.value("bios_reset", false);
    json attrs = uefi::attributes(reset ? uefi::normalise(nullptr) : fw);
    if (st.is_object() && st.contains("bios_pending") && st["bios_pending"].is_object())
        for (auto& [k, v] : st["bios_pending"].items()) attrs[k] = v;
    return ojson::parse(attrs.dump());
}

void settings_object(Context& c, Reply& r, const DeviceInfo& d) {
    auto base = fmt::format("/redfish/v1/Systems/{}/Bios/Settings", d.id);
    r.body = {{"@odata.id", base},
              {"@odata.type", "#Bios.v1_2_0.Bios"},
              {"Id", "Settings"},
              {"Name", "BIOS Settings (pending, applied on reset)"},
              {"Attributes", pending_attributes(c, d)}};
}

}  // namespace

void register_bios(Service& s) {
    s.route("/redfish/v1/Systems/{}/Bios", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto* d = device_or_404(c, r);
        if (!d) return;
        auto base = fmt::format("/redfish/v1/Systems/{}/Bios", d->id);
        auto fw = uefi::normalise(c.service.backend().load_firmware(d->mac));
        Reply pending;
        settings_object(c, pending, *d);
        r.body = {{"@odata.id", base},
                  {"@odata.type", "#Bios.v1_2_0.Bios"},
                  {"Id", "Bios"},
                  {"Name", "BIOS Configuration (Raspberry Pi UEFI)"},
                  {"Attributes", ojson::parse(uefi::attributes(fw).dump())},
                  {"@Redfish.Settings",
                   {{"@odata.type", "#Settings.v1_3_5.Settings"},
                    {"SettingsObject", odata_link(base + "/Settings")},
                    {"SupportedApplyTimes", ojson::array({"OnReset"})},
                    {"ETag", Service::etag_of(pending.body)}}},
                  {"Actions", {{"#Bios.ResetBios", {{"target", base + "/Actions/Bios.ResetBios"}}}}}};
    });
    s.route("/redfish/v1/Systems/{}/Bios/Settings", "GET", Privilege::login, [](Context& c, Reply& r) {
        if (auto* d = device_or_404(c, r)) settings_object(c, r, *d);
    });
    s.route("/redfish/v1/Systems/{}/Bios/Settings", "PATCH", Privilege::configure_components, [](Context& c, Reply& r) {
        auto* d = device_or_404(c, r);
        if (!d) return;
        if (!only_known(r, c.body, {"Attributes", "@Redfish.SettingsApplyTime"})) return;
        if (auto it = c.body.find("@Redfish.SettingsApplyTime"); it != c.body.end()) {
            if (!it->is_object()) return messages::property_value_type_error(r, json_text(*it), "@Redfish.SettingsApplyTime");
            if (!only_known(r, *it, {"ApplyTime", "@odata.type"}, "@Redfish.SettingsApplyTime/")) return;
            auto at = it->find("ApplyTime");
            if (at != it->end() && (!at->is_string() || at->get<std::string>() != "OnReset"))
                return messages::property_value_not_in_list(r, json_text(*at), "ApplyTime");
        }
        auto it = c.body.find("Attributes");
        if (it == c.body.end()) return messages::property_missing(r, "Attributes");
        if (!it->is_object()) return messages::property_value_type_error(r, json_text(*it), "Attributes");
        json changes = json::object();
        for (auto a = it->begin(); a != it->end(); ++a) {
            auto* setting = uefi::find_setting(a.key());
            if (!setting) return messages::property_unknown(r, "Attributes/" + a.key());
            if (!a->is_number_integer()) return messages::property_value_type_error(r, json_text(*a), a.key());
            auto v = a->get<long long>();
            if (v < setting->min || v > setting->max)
                return messages::property_value_out_of_range(r, json_text(*a), a.key());
            if (!setting->allowed.empty() &&
                std::find(setting->allowed.begin(), setting->allowed.end(), static_cast<uint32_t>(v)) == setting->allowed.end())
                return messages::property_value_not_in_list(r, json_text(*a), a.key());
            changes[a.key()] = static_cast<uint32_t>(v);
        }
        auto& backend = c.service.backend();
        auto st = backend.load_state(d->mac);
        if (!st.is_object()) st = json::object();
        for (auto& [k, v] : changes.items()) st["bios_pending"][k] = v;
        backend.store_state(d->mac, st);
        r.status = 204;
    });
    s.route("/redfish/v1/Systems/{}/Bios/Actions/Bios.ResetBios", "POST", Privilege::configure_components,
            [](Context& c, Reply& r) {
                auto* d = device_or_404(c, r);
                if (!d) return;
                if (!c.body.empty()) return messages::action_parameter_unknown(r, "Bios.ResetBios", c.body.begin().key());
                auto& backend = c.service.backend();
                auto st = backend.load_state(d->mac);
                if (!st.is_object()) st = json::object();
                st.erase("bios_pending");
                st["bios_reset"] = true;
                backend.store_state(d->mac, st);
                r.status = 204;
            });
}

}  // namespace mb::redfish
