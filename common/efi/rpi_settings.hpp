#pragma once
// Typed Raspberry Pi 4 UEFI settings (ConfigDxe HII variables, the RPi token space, ConsolePref,
// BootDiscoveryPolicy, Timeout): name, GUID, attributes, width, allowed values and default, from
// edk2-platforms RPi4.dsc and ConfigDxeHii.vfr. Used by `mb-efivars rpi get|set` and by mb-redfish
// for BIOS attributes (describe() is the attribute-registry entry).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "efi/variable.hpp"

namespace mb::efi {

enum class SettingType {
    U8,
    U16,
    U32,
    U64,
    I16,
    Ucs2String,   // CHAR16[max_chars + 1], NUL padded (AssetTag)
    ConsolePref,  // {u8 value; u8 reserved[3]}
};

struct SettingOption {
    uint64_t value;
    std::string_view label;
};

struct SettingDef {
    std::string_view name;
    std::string_view guid;  // text form
    uint32_t attr;
    SettingType type;
    int64_t default_value;               // for numbers; strings default to ""
    std::vector<SettingOption> options;  // non-empty: only these values
    std::optional<uint64_t> min, max;    // numeric range when options is empty
    size_t max_chars = 0;                // Ucs2String
    bool bitmask = false;                // options are bits that may be OR-ed
    bool read_only = false;              // written by the firmware itself
    std::string_view description;

    Guid vendor() const;
    size_t size() const;  // bytes of the variable data
};

// Every known setting, in a stable order.
const std::vector<SettingDef>& rpi_settings();
// Case-insensitive lookup; nullptr when unknown.
const SettingDef* find_setting(std::string_view name);

// The current value as JSON (number, or string for AssetTag); null when the variable is absent.
// Throws mb::Error(65) when the stored data has the wrong size.
nlohmann::json get_setting(const Variables& vars, const SettingDef& def);
// Validates (type, range, allowed values, option labels accepted case-insensitively) and writes the
// variable with the firmware's attributes. Throws mb::Error(65) naming the allowed values.
void set_setting(Variables& vars, const SettingDef& def, const nlohmann::json& value);
// Parses command-line text ("0", "0x20", "DT", "\"tag\"") into the JSON set_setting takes.
nlohmann::json setting_value_from_text(const SettingDef& def, std::string_view text);
// Attribute-registry style description: name, guid, attr, type, size, default, allowed values
// {value,label}, min/max, read_only, description.
nlohmann::ordered_json describe(const SettingDef& def);

}  // namespace mb::efi
