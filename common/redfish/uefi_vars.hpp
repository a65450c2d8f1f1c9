#pragma once
// The part of a device's UEFI variables that Redfish changes, on common/efi's variable sets. A
// device's image is the base RPI_EFI.fd's variables with firmware/<mac>.json merged over them by
// (GUID, name) — the "view" — and Redfish writes only into the device set: Boot#### load options
// classified by what they boot, BootNext/BootOrder, and the Raspberry Pi ConfigDxe settings that
// the Bios resource exposes. Pure: variables in, variables out.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "device/mac.hpp"
#include "efi/boot.hpp"
#include "efi/rpi_settings.hpp"
#include "efi/variable.hpp"

namespace mb::redfish::uefi {

// Redfish BootSourceOverrideTarget values that a Pi can honestly do.
// Cd = the device's virtual CD (VirtualMedia "Cd"): UEFI HTTP boot of the inserted image's URL, which
// EDK2's HttpBootDxe loads into a RAM disk (RamDiskDxe) and boots like a CD.
enum class Target { none, pxe, hdd, uefi_http, bios_setup, cd };
const char* target_name(Target t);
std::optional<Target> parse_target(std::string_view redfish_name);

// The base variables with the device's merged over them by (GUID, name), as the renderer does.
efi::Variables merged(const efi::Variables& base, const efi::Variables& device);

// Title of the Boot#### that boots the virtual CD: it tells that option apart from HTTP boot ones.
inline constexpr std::string_view kVirtualCdTitle = "Virtual CD (mb-redfish)";

// What a load option boots, when recognisable (network: by its device path, whatever the MAC).
std::optional<Target> classify(const efi::LoadOption& option);

// The NIC part of a netboot device path for mac, as the firmware builds it: the nodes up to and
// including MAC() of an existing boot option on that NIC, else of the NIC's instance in the
// network device list `_NDL`, else those of another NIC's network option with this MAC (same
// hardware model, e.g. a base image saved on another machine), else MAC(mac,0x1) alone (the Pi 4's
// GENET NIC has no parent node: its own PXE/HTTP options are MAC()/IPv4()[/Uri()]).
std::vector<efi::DevicePathNode> nic_path(const efi::Variables& view, const device::Mac& mac);

// The full netboot path the firmware uses for PXE (… /MAC()/IPv4()) or HTTP (… /MAC()/IPv4()/Uri());
// Cd: … /MAC()/IPv4()/Uri(uri).
efi::DevicePath netboot_path(const efi::Variables& view, const device::Mac& mac, Target t, std::string_view uri = "");

// The Boot#### that boots `t` on this device: an existing option of the view (for Pxe/UefiHttp
// one on this device's NIC; active ones in BootOrder order first, IPv4 before IPv6); else, for
// Pxe, UefiHttp and BiosSetup, a new user-created option (no auto-create GUID, so BDS keeps it)
// written into `device` under the lowest number that neither the view's Boot#### variables nor
// its BootOrder/BootNext use. Hdd needs an existing disk option (nullopt if none).
std::optional<uint16_t> entry_for(efi::Variables& device, const efi::Variables& base, Target t, const device::Mac& mac);

// Writes (or re-points) the virtual CD's Boot####: NIC path + IPv4(DHCP) + Uri(image) into
// `device`, under `previous` when that number is free or already the virtual CD's, else under a new
// free number. Returns the number.
uint16_t virtual_cd_entry(efi::Variables& device, const efi::Variables& base, const device::Mac& mac,
                          const std::string& image, std::optional<uint16_t> previous);
// Whether Boot#### `number` of the view is the virtual CD's option.
bool is_virtual_cd_entry(const efi::Variables& view, uint16_t number);

// Bios Attributes: every writable typed RPi setting (common/efi/rpi_settings), its value in the
// view or the firmware default.
std::vector<const efi::SettingDef*> bios_settings();
nlohmann::json attributes(const efi::Variables& view);

}  // namespace mb::redfish::uefi
