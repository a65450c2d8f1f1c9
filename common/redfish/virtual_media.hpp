#pragma once
// The device's virtual CD (VirtualMedia "Cd") ↔ Redfish state and UEFI variables (pure). A Pi has no
// BMC that could emulate a USB CD drive; its UEFI can HTTP-boot an ISO image into a RAM disk and
// boot that like a CD (HttpBootDxe + RamDiskDxe). So "inserting" an image records its URL in the
// device's Redfish state, and the Cd boot target is a Boot#### whose device path ends in
// Uri(<image URL>). The image's URL must be http:// (https:// once the service has CA certificates
// for the firmware to trust: they go into the device's TlsCaCertificate variable with the image)
// and its path end in ".iso" unless the server answers with Content-Type application/vnd.efi-iso
// (how EDK2 tells an ISO from an EFI binary).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "device/mac.hpp"
#include "efi/variable.hpp"
#include "redfish/messages.hpp"

namespace mb::redfish {

inline constexpr std::string_view kVirtualCdId = "Cd";
inline constexpr size_t kMaxImageUrl = 1024;

struct VirtualMedia {
    bool inserted = false;
    std::string image;  // URL; empty when nothing is inserted
    bool write_protected = true;
    std::optional<uint16_t> entry;  // the virtual CD's Boot####, once a Cd boot override created it
};

// From the device's Redfish state ("virtual_media": {"Cd": {...}}); ejected when absent.
VirtualMedia read_virtual_media(const nlohmann::json& state);

// Why `url` cannot be the virtual CD's image, or "" when it can: http:// (or https:// when
// `https` is allowed) with a host, printable ASCII without spaces, at most kMaxImageUrl bytes.
std::string image_url_problem(std::string_view url, bool https = false);

// #VirtualMedia.InsertMedia: validates `params` (reporting into `r`) and, when valid, records the
// image in `state` and re-points an existing virtual CD Boot#### in `device`. `tls_ca` is the
// TlsCaCertificate data for https:// images (efi/tls_ca.hpp; empty: https is refused), written
// into `device` with an https image and removed with an http one. Returns false (and changes
// nothing) on a 4xx.
bool insert_media(Reply& r, const nlohmann::ordered_json& params, efi::Variables& device, const efi::Variables& base,
                  nlohmann::json& state, const device::Mac& mac, const std::vector<uint8_t>& tls_ca = {});

// #VirtualMedia.EjectMedia (no parameters): forgets the image, removes the virtual CD Boot####
// (and a TlsCaCertificate written with it) and cancels a Cd boot override (there is nothing left to
// boot). Ejecting an empty slot succeeds.
bool eject_media(Reply& r, const nlohmann::ordered_json& params, efi::Variables& device, const efi::Variables& base,
                 nlohmann::json& state);

// The Boot#### that boots the inserted image (written into `device`, its number kept in `state`);
// nullopt when nothing is inserted.
std::optional<uint16_t> virtual_cd_boot_entry(efi::Variables& device, const efi::Variables& base, nlohmann::json& state,
                                              const device::Mac& mac);

}  // namespace mb::redfish
