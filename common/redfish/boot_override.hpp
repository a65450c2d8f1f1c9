#pragma once
// Redfish Boot override ↔ UEFI variables (pure). Once = BootNext (reads back Disabled once the
// firmware consumed it, i.e. BootNext is gone from firmware/<mac>.json); Continuous = the target's
// option first in BootOrder, the previous order saved in Redfish state; Disabled = BootNext removed
// (if ours) and the saved order restored. Mode is UEFI only.
#include <nlohmann/json.hpp>
#include <string>

#include "device/mac.hpp"
#include "efi/variable.hpp"
#include "redfish/messages.hpp"

namespace mb::redfish {

struct BootOverride {
    std::string enabled = "Disabled";  // Disabled | Once | Continuous
    std::string target = "None";       // None | Pxe | Hdd | UefiHttp | BiosSetup | Cd
};

// Cd boots the image inserted into the device's virtual CD (redfish/virtual_media.hpp).
inline const std::vector<std::string> kBootTargets = {"None", "Pxe", "Hdd", "UefiHttp", "BiosSetup", "Cd"};
inline const std::vector<std::string> kBootEnabled = {"Disabled", "Once", "Continuous"};
// What apply_boot_patch changes: advertised as Boot/@Redfish.WriteableProperties (HttpBootUri is
// read-only, so it is not listed).
inline const std::vector<std::string> kBootWritable = {"BootSourceOverrideEnabled", "BootSourceOverrideTarget",
                                                       "BootSourceOverrideMode"};

// `view` = the device's variables merged over the base image's (uefi::merged); `state` the
// device's Redfish state.
BootOverride read_boot_override(const efi::Variables& view, const nlohmann::json& state);

// Undoes the recorded override: removes our BootNext, restores the saved BootOrder, forgets it.
void clear_boot_override(efi::Variables& device, const efi::Variables& view, nlohmann::json& state);

// Validates the PATCH body's "Boot" object (reporting into `r`) and, when valid, updates the
// device's variables `device` (never the base image's `base`) and `state`. Returns false (and
// changes nothing) on a 4xx.
bool apply_boot_patch(Reply& r, const nlohmann::ordered_json& boot, efi::Variables& device, const efi::Variables& base,
                      nlohmann::json& state, const device::Mac& mac);

}  // namespace mb::redfish
