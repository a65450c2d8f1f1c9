#pragma once
// Boot manager variables on top of a variable set: Boot#### entries, BootOrder, BootNext,
// Timeout, and the helpers boot overrides need (Redfish Once = BootNext, Continuous = BootOrder
// first, netboot entries for a MAC).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "efi/load_option.hpp"
#include "efi/variable.hpp"

namespace mb::efi {

struct BootEntry {
    uint16_t number = 0;
    std::optional<LoadOption> option;  // nullopt when the data does not decode
    std::string error;                 // why it does not decode
    uint32_t attr = 0;                 // variable attributes
};

// "Boot0003" (upper-case hex, as edk2 requires).
std::u16string boot_var_name(uint16_t number);
// 0x0003 for "Boot0003"; nullopt for anything edk2 would ignore (lower-case hex, wrong length).
std::optional<uint16_t> parse_boot_var_name(std::u16string_view name);
// Parses "3", "0003", "Boot0003", "0x3".
std::optional<uint16_t> parse_boot_number(std::string_view text);

std::vector<BootEntry> boot_entries(const Variables& vars);
std::vector<uint16_t> boot_order(const Variables& vars);
std::optional<uint16_t> boot_next(const Variables& vars);
std::optional<uint16_t> boot_timeout(const Variables& vars);

void set_boot_order(Variables& vars, const std::vector<uint16_t>& order);
void set_boot_next(Variables& vars, std::optional<uint16_t> number);
void set_boot_entry(Variables& vars, uint16_t number, const LoadOption& option);
// Removes Boot#### and its BootOrder/BootNext references; false when it did not exist.
bool remove_boot_entry(Variables& vars, uint16_t number);
// Sets or clears LOAD_OPTION_ACTIVE; throws (65) when the entry is missing or undecodable.
void set_boot_active(Variables& vars, uint16_t number, bool active);
// The lowest Boot#### number not in use.
uint16_t free_boot_number(const Variables& vars);
// Moves number to the front of BootOrder (adding it when absent).
void boot_first(Variables& vars, uint16_t number);

enum class NetbootKind { PxeV4, PxeV6, HttpV4, HttpV6 };
// "UEFI PXEv4 (MAC:D83ADD5A440C)" — the firmware's own title format.
std::string netboot_title(NetbootKind kind, std::span<const uint8_t, 6> mac);
// MAC(mac,0x1)/IPv4(DHCP) (+ Uri() for HTTP), as the Pi's firmware creates them.
DevicePath netboot_path(NetbootKind kind, std::span<const uint8_t, 6> mac);
// An existing entry whose boot path is the netboot path of this kind for mac.
std::optional<uint16_t> find_netboot_entry(const Variables& vars, NetbootKind kind, std::span<const uint8_t, 6> mac);
// Finds or creates (user-created: no auto-create GUID, so BDS keeps it) the entry; returns its number.
uint16_t ensure_netboot_entry(Variables& vars, NetbootKind kind, std::span<const uint8_t, 6> mac);

}  // namespace mb::efi
