#pragma once
// The part of a device's UEFI variables that Redfish changes, on the virt-fw-vars JSON v2 document
// kept in firmware/<mac>.json ({"version":2,"variables":[{"name","guid","attr","data"}]}):
// Boot#### load options classified by what they boot, BootNext/BootOrder, and the Raspberry Pi
// ConfigDxe settings that the Bios resource exposes. Pure: JSON in, JSON out.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "device/mac.hpp"

namespace mb::redfish::uefi {

using json = nlohmann::json;

inline constexpr const char* kGlobalGuid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
inline constexpr const char* kConfigDxeGuid = "cd7cc258-31db-22e6-9f22-63b0b8eed6b5";

// Redfish BootSourceOverrideTarget values that a Pi can honestly do.
enum class Target { none, pxe, hdd, uefi_http, bios_setup };
const char* target_name(Target t);
std::optional<Target> parse_target(std::string_view redfish_name);

struct BootEntry {
    uint16_t number = 0;
    uint32_t attributes = 0;
    std::string description;
    std::vector<uint8_t> path;  // FilePathList
    std::optional<Target> kind;  // what it boots, when recognisable
};

// An empty document when `doc` is null.
json normalise(const json& doc);

std::optional<std::vector<uint8_t>> get_var(const json& doc, std::string_view name, std::string_view guid);
void set_var(json& doc, std::string_view name, std::string_view guid, const std::vector<uint8_t>& data,
             uint32_t attr = 7);
bool remove_var(json& doc, std::string_view name, std::string_view guid);

std::vector<BootEntry> boot_entries(const json& doc);  // throws mb::Error(kExitDataErr) on malformed JSON
std::optional<uint16_t> boot_next(const json& doc);
std::vector<uint16_t> boot_order(const json& doc);
void set_boot_order(json& doc, const std::vector<uint16_t>& order);
void set_boot_next(json& doc, std::optional<uint16_t> value);

// The entry that boots `t`: the first active one in BootOrder order, then any; IPv4 before IPv6.
// For Pxe, UefiHttp and BiosSetup a missing entry is created (MAC()/IPv4()[/Uri()] or the UiApp
// FvFile path); Hdd needs an existing disk entry (nullopt if none).
std::optional<uint16_t> entry_for(json& doc, Target t, const device::Mac& mac);
std::optional<Target> classify(const std::vector<uint8_t>& path, std::string_view description);
std::vector<uint8_t> encode_load_option(uint32_t attributes, std::string_view description,
                                        const std::vector<uint8_t>& path);

// Raspberry Pi ConfigDxe settings exposed as Bios Attributes.
struct Setting {
    const char* name;
    uint32_t default_value;
    uint32_t min;
    uint32_t max;
    std::vector<uint32_t> allowed;  // when not empty, only these values
    const char* help;
};
const std::vector<Setting>& settings();
const Setting* find_setting(std::string_view name);
// Current attribute values (defaults for absent variables).
json attributes(const json& doc);
// Writes one setting (u32 LE, attr 7, ConfigDxe GUID).
void set_attribute(json& doc, const Setting& s, uint32_t value);

}  // namespace mb::redfish::uefi
