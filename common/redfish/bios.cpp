// Bios: Attributes = the Raspberry Pi ConfigDxe settings in firmware/<mac>.json; changes go to the
// @Redfish.Settings object (Bios/Settings) and are applied OnReset — written into the firmware
// variables when the System is next powered on or restarted through Redfish; ResetBios queues
// the defaults the same way.
#include <fmt/format.h>

#include "core/error.hpp"
#include "log/log.hpp"
#include "redfish/service.hpp"
#include "redfish/uefi_vars.hpp"

namespace mb::redfish {

using nlohmann::json;

void apply_pending_bios(Backend& backend, const device::Mac& mac) {
    auto st = backend.load_state(mac);
    if (!st.is_object() || (!st.contains("bios_pending") && !st.value("bios_reset", false))) return;
    backend.edit_firmware(mac, [&](efi::Variables& fw) {
        if (st.value("bios_reset", false))
            for (const auto* d : uefi::bios_settings()) fw.erase(d->vendor(), efi::to_ucs2(d->name));
        if (st.contains("bios_pending") && st["bios_pending"].is_object())
            for (auto& [k, v] : st["bios_pending"].items()) {
                auto* d = efi::find_setting(k);
                try {
                    if (d && !d->read_only) efi::set_setting(fw, *d, v);
                } catch (const Error& e) {
                    log::warn("pending BIOS attribute {} dropped: {}", k, e.what());
                }
            }
        return true;
    });
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
    bool reset = st.is_object() && st.value("bios_reset", false);
    // After ResetBios the device's settings are dropped: the base image's (or the defaults) apply.
    auto base = backend.base_variables();
    json attrs = uefi::attributes(reset ? base : uefi::merged(base, backend.load_firmware(d.mac)));
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
        auto& backend = c.service.backend();
        auto view = uefi::merged(backend.base_variables(), backend.load_firmware(d->mac));
        Reply pending;
        settings_object(c, pending, *d);
        r.body = {{"@odata.id", base},
                  {"@odata.type", "#Bios.v1_2_0.Bios"},
                  {"Id", "Bios"},
                  {"Name", "BIOS Configuration (Raspberry Pi UEFI)"},
                  {"Attributes", ojson::parse(uefi::attributes(view).dump())},
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
            if (!it->is_object())
                return messages::property_value_type_error(r, json_text(*it), "@Redfish.SettingsApplyTime");
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
            const auto* setting = efi::find_setting(a.key());
            if (!setting || setting->name != a.key()) return messages::property_unknown(r, "Attributes/" + a.key());
            if (setting->read_only) return messages::property_not_writable(r, "Attributes/" + a.key());
            bool text = setting->type == efi::SettingType::Ucs2String;
            if (text ? !a->is_string() : !a->is_number_integer())
                return messages::property_value_type_error(r, json_text(*a), a.key());
            try {
                efi::Variables scratch;
                efi::set_setting(scratch, *setting, json(*a));  // validates type, range and allowed values
            } catch (const Error&) {
                if (!setting->options.empty()) return messages::property_value_not_in_list(r, json_text(*a), a.key());
                return messages::property_value_out_of_range(r, json_text(*a), a.key());
            }
            changes[a.key()] = json(*a);
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
                if (!c.body.empty())
                    return messages::action_parameter_unknown(r, "Bios.ResetBios", c.body.begin().key());
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
