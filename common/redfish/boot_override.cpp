#include "redfish/boot_override.hpp"

#include <algorithm>

#include "efi/boot.hpp"
#include "redfish/service.hpp"
#include "redfish/uefi_vars.hpp"
#include "redfish/virtual_media.hpp"

namespace mb::redfish {

using nlohmann::json;

BootOverride read_boot_override(const efi::Variables& fw, const json& state) {
    BootOverride o;
    if (!state.is_object() || !state.contains("boot") || !state["boot"].is_object()) return o;
    const auto& b = state["boot"];
    std::string enabled = b.value("enabled", "Disabled");
    int entry = b.value("entry", -1);
    if (entry < 0) return o;
    if (enabled == "Once") {
        auto next = efi::boot_next(fw);
        if (next && *next == entry) o = {"Once", b.value("target", "None")};
    } else if (enabled == "Continuous") {
        auto order = efi::boot_order(fw);
        if (!order.empty() && order.front() == entry) o = {"Continuous", b.value("target", "None")};
    }
    return o;
}

namespace {

bool in(const std::vector<std::string>& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

void clear_boot_override(efi::Variables& device, const efi::Variables& view, json& state) {
    if (!state.contains("boot") || !state["boot"].is_object()) return;
    const auto& b = state["boot"];
    int entry = b.value("entry", -1);
    if (b.value("enabled", "") == "Once") {
        auto next = efi::boot_next(view);
        if (next && *next == entry) efi::set_boot_next(device, std::nullopt);
    }
    if (b.contains("saved_order") && b["saved_order"].is_array()) {
        std::vector<uint16_t> order;
        for (auto& n : b["saved_order"])
            if (n.is_number_unsigned()) order.push_back(n.get<uint16_t>());
        efi::set_boot_order(device, order);
    }
    state.erase("boot");
}

bool apply_boot_patch(Reply& r, const nlohmann::ordered_json& boot, efi::Variables& device, const efi::Variables& base,
                      json& state, const device::Mac& mac) {
    if (!boot.is_object()) {
        messages::property_value_type_error(r, json_text(boot), "Boot");
        return false;
    }
    if (!only_known(r, boot,
                    {"BootSourceOverrideTarget", "BootSourceOverrideEnabled", "BootSourceOverrideMode", "HttpBootUri"},
                    "Boot/"))
        return false;
    auto text = [&](const char* key, const std::vector<std::string>& allowed, std::optional<std::string>& out) {
        auto it = boot.find(key);
        if (it == boot.end()) return true;
        if (!it->is_string()) {
            messages::property_value_type_error(r, json_text(*it), key);
            return false;
        }
        if (!in(allowed, it->get<std::string>())) {
            messages::property_value_not_in_list(r, it->get<std::string>(), key);
            return false;
        }
        out = it->get<std::string>();
        return true;
    };
    std::optional<std::string> target, enabled, mode;
    if (!text("BootSourceOverrideTarget", kBootTargets, target)) return false;
    if (!text("BootSourceOverrideEnabled", kBootEnabled, enabled)) return false;
    if (!text("BootSourceOverrideMode", {"UEFI"}, mode)) return false;
    if (auto it = boot.find("HttpBootUri"); it != boot.end() && !it->is_null()) {
        messages::property_not_writable(r, "Boot/HttpBootUri");
        return false;
    }
    efi::Variables fw = device;
    json st = state.is_object() ? state : json::object();
    auto view = uefi::merged(base, fw);
    auto current = read_boot_override(view, st);
    std::string new_target = target.value_or(current.target);
    std::string new_enabled = enabled.value_or(current.enabled == "Disabled" ? "Once" : current.enabled);
    if (!target && !enabled) return true;  // mode only (or HttpBootUri null): nothing changes
    if (new_target == current.target && new_enabled == current.enabled) return true;  // redundant
    if (new_enabled == "Disabled" || new_target == "None") {
        clear_boot_override(fw, view, st);
    } else {
        auto t = *uefi::parse_target(new_target);
        bool had_saved = st.contains("boot") && st["boot"].is_object() && st["boot"].contains("saved_order");
        std::vector<uint16_t> saved;
        if (had_saved)
            for (auto& n : st["boot"]["saved_order"]) saved.push_back(n.get<uint16_t>());
        clear_boot_override(fw, view, st);
        auto entry =
            t == uefi::Target::cd ? virtual_cd_boot_entry(fw, base, st, mac) : uefi::entry_for(fw, base, t, mac);
        if (!entry && t == uefi::Target::cd) {
            messages::property_value_conflict(r, "BootSourceOverrideTarget", "VirtualMedia/Inserted");
            return false;
        }
        if (!entry) {
            messages::property_value_conflict(r, "BootSourceOverrideTarget", "the device's UEFI boot options");
            return false;
        }
        view = uefi::merged(base, fw);
        json b{{"enabled", new_enabled}, {"target", new_target}, {"entry", *entry}};
        if (new_enabled == "Once") {
            efi::set_boot_next(fw, *entry);
        } else {
            if (!had_saved) saved = efi::boot_order(view);
            std::vector<uint16_t> order{*entry};
            for (auto n : saved)
                if (n != *entry) order.push_back(n);
            efi::set_boot_order(fw, order);
            b["saved_order"] = saved;
        }
        st["boot"] = b;
    }
    device = std::move(fw);
    state = std::move(st);
    return true;
}

}  // namespace mb::redfish
