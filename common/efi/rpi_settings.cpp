#include "efi/rpi_settings.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/bytes.hpp"
#include "efi/guid.hpp"

namespace mb::efi {

namespace {

constexpr std::string_view kConfigDxe = "cd7cc258-31db-22e6-9f22-63b0b8eed6b5";
constexpr std::string_view kToken = "cd7cc258-31db-11e6-9fd3-63b0b8eed6b5";
constexpr std::string_view kConsole = "2d2358b4-e96c-484d-b2dd-7c2edfc7d56f";
constexpr std::string_view kBootDiscovery = "5b6f7107-bb3c-4660-92cd-542690280bbd";
constexpr std::string_view kGlobal = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

std::vector<SettingDef> build() {
    using T = SettingType;
    const std::vector<SettingOption> off_on{{0, "Disabled"}, {1, "Enabled"}};
    std::vector<SettingDef> s;
    auto add = [&](SettingDef d) { s.push_back(std::move(d)); };
    add({"CpuClock",
         kConfigDxe,
         7,
         T::U32,
         1,
         {{0, "Low"}, {1, "Default"}, {2, "Max"}, {3, "Custom"}},
         {},
         {},
         0,
         false,
         false,
         "CPU clock: 0 low (800 MHz), 1 default (1500 MHz), 2 max (2200 MHz), 3 custom"});
    add({"CustomCpuClock",
         kConfigDxe,
         7,
         T::U32,
         1500,
         {},
         100,
         2200,
         0,
         false,
         false,
         "CPU clock in MHz when CpuClock is 3 (custom)"});
    add({"RamMoreThan3GB",
         kConfigDxe,
         7,
         T::U32,
         0,
         off_on,
         {},
         {},
         0,
         false,
         true,
         "set by the firmware: 1 when the board has more than 3 GB"});
    add({"RamLimitTo3GB",
         kConfigDxe,
         7,
         T::U32,
         1,
         {{0, "Disabled"}, {1, "Enabled"}},
         {},
         {},
         0,
         false,
         false,
         "0 = use all RAM, 1 = limit the OS to 3 GB"});
    add({"SystemTableMode",
         kConfigDxe,
         7,
         T::U32,
         0,
         {{0, "ACPI"}, {1, "ACPI+DT"}, {2, "DT"}},
         {},
         {},
         0,
         false,
         false,
         "system tables handed to the OS: 0 ACPI, 1 ACPI and device tree, 2 device tree"});
    add({"FanOnGpio",
         kConfigDxe,
         7,
         T::U32,
         0,
         {{0, "Disabled"}, {14, "GPIO14"}, {18, "GPIO18"}, {19, "GPIO19"}},
         {},
         {},
         0,
         false,
         false,
         "ACPI thermal-zone fan on a GPIO pin (0 = none)"});
    add({"FanTemp", kConfigDxe, 7, T::U32, 60, {}, 50, 80, 0, false, false, "fan switch-on temperature in °C"});
    add({"XhciPci",
         kConfigDxe,
         7,
         T::U32,
         0,
         {{0, "XHCI"}, {1, "PCIe"}, {2, "PCIe-CM4"}},
         {},
         {},
         0,
         false,
         false,
         "USB/PCIe mode: 0 XHCI, 1 PCIe, 2 PCIe (CM4)"});
    add({"XhciReload", kConfigDxe, 7, T::U32, 0, off_on, {}, {}, 0, false, false, "reload the XHCI firmware"});
    add({"AssetTag",
         kConfigDxe,
         7,
         T::Ucs2String,
         0,
         {},
         {},
         {},
         32,
         false,
         false,
         "SMBIOS asset tag (up to 32 characters)"});
    add({"SdIsArasan",
         kConfigDxe,
         7,
         T::U32,
         0,
         {{0, "EMMC2"}, {1, "Arasan"}},
         {},
         {},
         0,
         false,
         false,
         "uSD slot routing: 0 eMMC2/SDHCI, 1 Arasan"});
    add({"MmcDisableMulti",
         kConfigDxe,
         7,
         T::U32,
         0,
         off_on,
         {},
         {},
         0,
         false,
         false,
         "disable multi-block SD transfers"});
    add({"MmcForce1Bit", kConfigDxe, 7, T::U32, 0, off_on, {}, {}, 0, false, false, "force 1-bit SD mode"});
    add({"MmcForceDefaultSpeed", kConfigDxe, 7, T::U32, 0, off_on, {}, {}, 0, false, false, "force SD default speed"});
    add({"MmcSdDefaultSpeedMHz",
         kConfigDxe,
         7,
         T::U32,
         25,
         {},
         25,
         100,
         0,
         false,
         false,
         "SD default-speed clock in MHz"});
    add({"MmcSdHighSpeedMHz", kConfigDxe, 7, T::U32, 50, {}, 50, 100, 0, false, false, "SD high-speed clock in MHz"});
    add({"MmcEnableDma", kConfigDxe, 7, T::U32, 1, off_on, {}, {}, 0, false, false, "eMMC DMA"});
    add({"DebugEnableJTAG", kConfigDxe, 7, T::U32, 0, off_on, {}, {}, 0, false, false, "route JTAG to the GPIO pins"});
    add({"DisplayEnableScaledVModes",
         kConfigDxe,
         7,
         T::U8,
         0x20,
         {{0x01, "800x600"},
          {0x02, "640x480"},
          {0x04, "1024x768"},
          {0x08, "720p"},
          {0x10, "1080p"},
          {0x20, "Physical"}},
         {},
         {},
         0,
         true,
         false,
         "bitmask of scaled video modes offered"});
    add({"DisplayEnableSShot",
         kConfigDxe,
         7,
         T::U32,
         1,
         off_on,
         {},
         {},
         0,
         false,
         false,
         "screenshot support (Ctrl+Alt+F12)"});
    add({"ResetDelay",
         kToken,
         7,
         T::U32,
         0,
         {},
         0,
         0xFFFFFFFF,
         0,
         false,
         false,
         "delay before reset in microseconds (the firmware sets 3500000 after saving the store)"});
    add({"Columns", kToken, 7, T::U32, 80, {}, 0, 0xFFFFFFFF, 0, false, false, "console columns"});
    add({"Rows", kToken, 7, T::U32, 25, {}, 0, 0xFFFFFFFF, 0, false, false, "console rows"});
    add({"ConsolePref",
         kConsole,
         3,
         T::ConsolePref,
         0,
         {{0, "Graphical"}, {1, "Serial"}},
         {},
         {},
         0,
         false,
         false,
         "preferred console: 0 graphical, 1 serial"});
    add({"BootDiscoveryPolicy",
         kBootDiscovery,
         7,
         T::U32,
         0,
         {{0, "Minimal"}, {1, "ConnectNetwork"}, {2, "ConnectAll"}},
         {},
         {},
         0,
         false,
         false,
         "devices connected before boot: 0 minimal, 1 network, 2 all"});
    add({"Timeout",
         kGlobal,
         7,
         T::U16,
         5,
         {},
         0,
         0xFFFF,
         0,
         false,
         false,
         "boot menu timeout in seconds (65535 = wait forever)"});
    return s;
}

uint64_t max_for(SettingType t) {
    switch (t) {
        case SettingType::U8:
        case SettingType::ConsolePref: return 0xFF;
        case SettingType::U16: return 0xFFFF;
        case SettingType::U32: return 0xFFFFFFFF;
        default: return UINT64_MAX;
    }
}

std::string allowed_text(const SettingDef& d) {
    if (!d.options.empty()) {
        std::vector<std::string> parts;
        for (const auto& o : d.options) parts.push_back(fmt::format("{} ({})", o.value, o.label));
        return (d.bitmask ? "bits " : "one of ") + join(parts, ", ");
    }
    if (d.min || d.max) return fmt::format("{}..{}", d.min.value_or(0), d.max.value_or(max_for(d.type)));
    return "a number";
}

}  // namespace

Guid SettingDef::vendor() const {
    return *Guid::parse_text(guid);
}

size_t SettingDef::size() const {
    switch (type) {
        case SettingType::U8: return 1;
        case SettingType::U16:
        case SettingType::I16: return 2;
        case SettingType::U32:
        case SettingType::ConsolePref: return 4;
        case SettingType::U64: return 8;
        case SettingType::Ucs2String: return 2 * (max_chars + 1);
    }
    return 0;
}

const std::vector<SettingDef>& rpi_settings() {
    static const std::vector<SettingDef> defs = build();
    return defs;
}

const SettingDef* find_setting(std::string_view name) {
    for (const auto& d : rpi_settings()) {
        if (iequals(d.name, name)) return &d;
    }
    return nullptr;
}

nlohmann::json get_setting(const Variables& vars, const SettingDef& d) {
    const Variable* v = vars.find(d.vendor(), to_ucs2(d.name));
    if (!v) return nullptr;
    const auto& b = v->data;
    if (d.type == SettingType::Ucs2String) {
        std::u16string s;
        for (size_t i = 0; i + 1 < b.size(); i += 2) {
            const char16_t c = static_cast<char16_t>(le16(b.data() + i));
            if (!c) break;
            s.push_back(c);
        }
        return to_utf8(s);
    }
    if (b.size() != d.size()) {
        throw data_error(fmt::format("{}: stored data has {} bytes, expected {}", d.name, b.size(), d.size()));
    }
    switch (d.type) {
        case SettingType::U8:
        case SettingType::ConsolePref: return b[0];
        case SettingType::U16: return le16(b.data());
        case SettingType::I16: return static_cast<int16_t>(le16(b.data()));
        case SettingType::U32: return le32(b.data());
        case SettingType::U64: return le64(b.data());
        default: return nullptr;
    }
}

nlohmann::json setting_value_from_text(const SettingDef& d, std::string_view text) {
    if (d.type == SettingType::Ucs2String) return std::string(text);
    if (auto n = parse_uint(trim(text))) return *n;
    if (text.starts_with("-")) {
        try {
            return std::stoll(std::string(text));
        } catch (const std::exception&) {
        }
    }
    return std::string(trim(text));
}

void set_setting(Variables& vars, const SettingDef& d, const nlohmann::json& value) {
    std::vector<uint8_t> data;
    if (d.type == SettingType::Ucs2String) {
        if (!value.is_string()) throw data_error(fmt::format("{}: expected a string", d.name));
        const auto s = to_ucs2(value.get<std::string>());
        if (s.size() > d.max_chars) {
            throw data_error(fmt::format("{}: {} characters, at most {} allowed", d.name, s.size(), d.max_chars));
        }
        for (char16_t c : s) append16(data, static_cast<uint16_t>(c));
        data.resize(d.size(), 0);
    } else {
        uint64_t v = 0;
        if (value.is_number_unsigned()) {
            v = value.get<uint64_t>();
        } else if (value.is_number_integer() && d.type == SettingType::I16) {
            const int64_t i = value.get<int64_t>();
            if (i < -32768 || i > 32767) throw data_error(fmt::format("{}: {} is outside -32768..32767", d.name, i));
            v = static_cast<uint16_t>(i);
        } else if (value.is_number_integer()) {
            const int64_t i = value.get<int64_t>();
            if (i < 0) throw data_error(fmt::format("{}: {} is negative; allowed: {}", d.name, i, allowed_text(d)));
            v = static_cast<uint64_t>(i);
        } else if (value.is_string()) {
            const auto label = value.get<std::string>();
            bool found = false;
            for (const auto& o : d.options) {
                if (iequals(o.label, label)) {
                    v = o.value;
                    found = true;
                }
            }
            if (!found) {
                throw data_error(fmt::format("{}: {} is not a valid value; allowed: {}", d.name, mb::quoted(label),
                                             allowed_text(d)));
            }
        } else {
            throw data_error(fmt::format("{}: expected a number; allowed: {}", d.name, allowed_text(d)));
        }
        if (v > max_for(d.type) && d.type != SettingType::I16) {
            throw data_error(fmt::format("{}: {} does not fit {} bytes", d.name, v, d.size()));
        }
        if (!d.options.empty()) {
            bool ok = false;
            if (d.bitmask) {
                uint64_t all = 0;
                for (const auto& o : d.options) all |= o.value;
                ok = (v & ~all) == 0;
            } else {
                for (const auto& o : d.options) ok = ok || o.value == v;
            }
            if (!ok) throw data_error(fmt::format("{}: {} is not allowed; allowed: {}", d.name, v, allowed_text(d)));
        } else if ((d.min && v < *d.min) || (d.max && v > *d.max)) {
            throw data_error(fmt::format("{}: {} is out of range {}", d.name, v, allowed_text(d)));
        }
        switch (d.type) {
            case SettingType::U8: data.push_back(static_cast<uint8_t>(v)); break;
            case SettingType::U16:
            case SettingType::I16: append16(data, static_cast<uint16_t>(v)); break;
            case SettingType::U32: append32(data, static_cast<uint32_t>(v)); break;
            case SettingType::U64: append64(data, v); break;
            case SettingType::ConsolePref: data = {static_cast<uint8_t>(v), 0, 0, 0}; break;
            default: break;
        }
    }
    const Guid g = d.vendor();
    const auto name = to_ucs2(d.name);
    if (Variable* old = vars.find(g, name)) {
        old->data = std::move(data);
        old->attr = d.attr;
    } else {
        vars.set(Variable{g, name, d.attr, std::move(data), {}, 0, 0});
    }
}

nlohmann::ordered_json describe(const SettingDef& d) {
    static constexpr const char* kTypes[] = {"u8", "u16", "u32", "u64", "i16", "string", "u8+3"};
    nlohmann::ordered_json j;
    j["name"] = d.name;
    j["guid"] = d.guid;
    j["attr"] = d.attr;
    j["type"] = kTypes[static_cast<int>(d.type)];
    j["size"] = d.size();
    if (d.type == SettingType::Ucs2String) {
        j["default"] = "";
        j["max_chars"] = d.max_chars;
    } else {
        j["default"] = d.default_value;
    }
    if (!d.options.empty()) {
        auto arr = nlohmann::ordered_json::array();
        for (const auto& o : d.options) arr.push_back({{"value", o.value}, {"label", o.label}});
        j[d.bitmask ? "bits" : "allowed"] = arr;
    }
    if (d.min) j["min"] = *d.min;
    if (d.max) j["max"] = *d.max;
    j["read_only"] = d.read_only;
    j["description"] = d.description;
    return j;
}

}  // namespace mb::efi
