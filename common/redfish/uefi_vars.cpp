#include "redfish/uefi_vars.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::redfish::uefi {

namespace {

std::vector<uint8_t> le16(uint16_t v) { return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)}; }

void append(std::vector<uint8_t>& out, const std::vector<uint8_t>& more) { out.insert(out.end(), more.begin(), more.end()); }

// Device path nodes: (type, subtype, payload start, length)
struct Node {
    uint8_t type, sub;
    size_t off, len;
};

std::vector<Node> nodes(const std::vector<uint8_t>& p) {
    std::vector<Node> out;
    size_t i = 0;
    while (i + 4 <= p.size()) {
        size_t len = p[i + 2] | p[i + 3] << 8;
        if (len < 4 || i + len > p.size()) break;
        out.push_back({p[i], p[i + 1], i, len});
        if (p[i] == 0x7f && p[i + 1] == 0xff) break;
        i += len;
    }
    return out;
}

const std::vector<uint8_t> kUiAppPath = *parse_hex(
    "0407140037aa159a55d54e4ab54186391ff681640406140021aa2c4614760345836e8ab6f46623317fff0400");
const std::vector<uint8_t> kUiAppFile = *parse_hex("21aa2c4614760345836e8ab6f4662331");

std::vector<uint8_t> mac_ipv4_path(const device::Mac& mac, bool http) {
    std::vector<uint8_t> p = {0x03, 0x0b, 37, 0};
    for (int i = 0; i < 32; ++i) p.push_back(i < 6 ? mac.bytes()[i] : 0);
    p.push_back(1);  // IfType Ethernet
    std::vector<uint8_t> ip(27, 0);
    ip[0] = 0x03;
    ip[1] = 0x0c;
    ip[2] = 27;
    append(p, ip);
    if (http) append(p, {0x03, 0x18, 4, 0});  // empty Uri() = take the URI from DHCP
    append(p, {0x7f, 0xff, 4, 0});
    return p;
}

}  // namespace

const char* target_name(Target t) {
    switch (t) {
        case Target::pxe: return "Pxe";
        case Target::hdd: return "Hdd";
        case Target::uefi_http: return "UefiHttp";
        case Target::bios_setup: return "BiosSetup";
        case Target::none: break;
    }
    return "None";
}

std::optional<Target> parse_target(std::string_view n) {
    for (auto t : {Target::none, Target::pxe, Target::hdd, Target::uefi_http, Target::bios_setup})
        if (n == target_name(t)) return t;
    return std::nullopt;
}

json normalise(const json& doc) {
    if (doc.is_null()) return json{{"version", 2}, {"variables", json::array()}};
    if (!doc.is_object() || !doc.contains("variables") || !doc["variables"].is_array())
        throw data_error("firmware JSON is not a virt-fw-vars document (no \"variables\" array)");
    return doc;
}

std::optional<std::vector<uint8_t>> get_var(const json& doc, std::string_view name, std::string_view guid) {
    for (const auto& v : doc["variables"]) {
        if (!v.is_object() || v.value("name", "") != name || !iequals(v.value("guid", ""), guid)) continue;
        auto bytes = parse_hex(v.value("data", ""));
        if (!bytes) throw data_error(fmt::format("firmware JSON: variable {} has malformed hex data", name));
        return bytes;
    }
    return std::nullopt;
}

void set_var(json& doc, std::string_view name, std::string_view guid, const std::vector<uint8_t>& data, uint32_t attr) {
    for (auto& v : doc["variables"]) {
        if (v.is_object() && v.value("name", "") == name && iequals(v.value("guid", ""), guid)) {
            v["data"] = to_hex(data);
            v["attr"] = attr;
            return;
        }
    }
    doc["variables"].push_back(json{{"name", name}, {"guid", guid}, {"attr", attr}, {"data", to_hex(data)}});
}

bool remove_var(json& doc, std::string_view name, std::string_view guid) {
    auto& vars = doc["variables"];
    for (auto it = vars.begin(); it != vars.end(); ++it) {
        if (it->is_object() && it->value("name", "") == name && iequals(it->value("guid", ""), guid)) {
            vars.erase(it);
            return true;
        }
    }
    return false;
}

std::optional<Target> classify(const std::vector<uint8_t>& path, std::string_view description) {
    bool mac = false, uri = false, disk = false, uiapp = false;
    for (auto& n : nodes(path)) {
        if (n.type == 0x03 && n.sub == 0x0b) mac = true;
        if (n.type == 0x03 && n.sub == 0x18) uri = true;
        if ((n.type == 0x03 && (n.sub == 0x1a || n.sub == 0x1d || n.sub == 0x05 || n.sub == 0x12 || n.sub == 0x17 ||
                                n.sub == 0x02)) ||
            (n.type == 0x04 && n.sub == 0x01) || (n.type == 0x01 && n.sub == 0x04 && !mac))
            disk = true;
        if (n.type == 0x04 && n.sub == 0x06 && n.len == 20 &&
            std::equal(kUiAppFile.begin(), kUiAppFile.end(), path.begin() + n.off + 4))
            uiapp = true;
    }
    if (uiapp) return Target::bios_setup;
    if (mac && uri) return Target::uefi_http;
    // RPi UEFI names HTTP boot options "UEFI HTTPv4 (MAC:...)" even when the Uri node is implied.
    if (mac && description.find("HTTP") != std::string_view::npos) return Target::uefi_http;
    if (mac) return Target::pxe;
    if (disk) return Target::hdd;
    return std::nullopt;
}

std::vector<BootEntry> boot_entries(const json& doc) {
    std::vector<BootEntry> out;
    for (const auto& v : doc["variables"]) {
        if (!v.is_object()) continue;
        std::string name = v.value("name", "");
        if (name.size() != 8 || name.rfind("Boot", 0) != 0 || !iequals(v.value("guid", ""), kGlobalGuid)) continue;
        auto hex = name.substr(4);
        bool upper_hex = true;
        for (char c : hex) upper_hex &= (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
        if (!upper_hex) continue;  // edk2 ignores lower-case Boot#### names
        auto data = parse_hex(v.value("data", ""));
        if (!data || data->size() < 6) continue;
        auto& d = *data;
        BootEntry e;
        e.number = static_cast<uint16_t>(std::stoul(hex, nullptr, 16));
        e.attributes = d[0] | d[1] << 8 | d[2] << 16 | static_cast<uint32_t>(d[3]) << 24;
        size_t fpl = d[4] | d[5] << 8;
        size_t i = 6;
        bool terminated = false;
        while (i + 1 < d.size()) {
            uint16_t ch = d[i] | d[i + 1] << 8;
            i += 2;
            if (ch == 0) {
                terminated = true;
                break;
            }
            e.description += ch < 0x80 ? static_cast<char>(ch) : '?';
        }
        if (!terminated || i + fpl > d.size()) continue;
        e.path.assign(d.begin() + static_cast<long>(i), d.begin() + static_cast<long>(i + fpl));
        e.kind = classify(e.path, e.description);
        out.push_back(std::move(e));
    }
    return out;
}

std::optional<uint16_t> boot_next(const json& doc) {
    auto v = get_var(doc, "BootNext", kGlobalGuid);
    if (!v || v->size() != 2) return std::nullopt;
    return static_cast<uint16_t>((*v)[0] | (*v)[1] << 8);
}

std::vector<uint16_t> boot_order(const json& doc) {
    std::vector<uint16_t> out;
    auto v = get_var(doc, "BootOrder", kGlobalGuid);
    if (!v) return out;
    for (size_t i = 0; i + 1 < v->size(); i += 2) out.push_back(static_cast<uint16_t>((*v)[i] | (*v)[i + 1] << 8));
    return out;
}

void set_boot_order(json& doc, const std::vector<uint16_t>& order) {
    std::vector<uint8_t> data;
    for (auto n : order) append(data, le16(n));
    set_var(doc, "BootOrder", kGlobalGuid, data);
}

void set_boot_next(json& doc, std::optional<uint16_t> value) {
    if (value)
        set_var(doc, "BootNext", kGlobalGuid, le16(*value));
    else
        remove_var(doc, "BootNext", kGlobalGuid);
}

std::vector<uint8_t> encode_load_option(uint32_t attributes, std::string_view description,
                                        const std::vector<uint8_t>& path) {
    std::vector<uint8_t> out;
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(attributes >> (8 * i)));
    append(out, le16(static_cast<uint16_t>(path.size())));
    for (char c : description) append(out, le16(static_cast<uint8_t>(c)));
    append(out, le16(0));
    append(out, path);
    return out;
}

std::optional<uint16_t> entry_for(json& doc, Target t, const device::Mac& mac) {
    auto entries = boot_entries(doc);
    auto order = boot_order(doc);
    auto rank = [&](const BootEntry& e) {
        int r = 0;
        auto it = std::find(order.begin(), order.end(), e.number);
        r += it == order.end() ? 1000 : static_cast<int>(it - order.begin());
        if (!(e.attributes & 1)) r += 10000;  // inactive
        for (auto& n : nodes(e.path))
            if (n.type == 0x03 && n.sub == 0x0d) r += 100000;  // IPv6 after IPv4
        return r;
    };
    const BootEntry* best = nullptr;
    for (auto& e : entries)
        if (e.kind == t && (!best || rank(e) < rank(*best))) best = &e;
    if (best) return best->number;
    if (t == Target::hdd || t == Target::none) return std::nullopt;
    // Create the option the Pi's BDS would create itself (it re-creates network options each boot).
    uint16_t n = 0;
    for (;; ++n) {
        bool used = false;
        for (auto& e : entries) used |= e.number == n;
        if (!used) break;
    }
    std::vector<uint8_t> path;
    std::string desc;
    uint32_t attrs = 1;
    if (t == Target::bios_setup) {
        path = kUiAppPath;
        desc = "UiApp";
        attrs = 0x109;
    } else {
        path = mac_ipv4_path(mac, t == Target::uefi_http);
        desc = fmt::format("UEFI {}v4 (MAC:{})", t == Target::uefi_http ? "HTTP" : "PXE", mac.upper_bare());
    }
    set_var(doc, fmt::format("Boot{:04X}", n), kGlobalGuid, encode_load_option(attrs, desc, path));
    return n;
}

const std::vector<Setting>& settings() {
    static const std::vector<Setting> all = {
        {"RamLimitTo3GB", 1, 0, 1, {}, "1 = limit RAM to 3 GB (needed by some OSes), 0 = use all RAM"},
        {"SystemTableMode", 0, 0, 2, {}, "0 = ACPI, 1 = ACPI + Devicetree, 2 = Devicetree"},
        {"CpuClock", 1, 0, 3, {}, "0 = low, 1 = default, 2 = max, 3 = custom (CustomCpuClock)"},
        {"CustomCpuClock", 1800, 100, 3000, {}, "CPU clock in MHz when CpuClock = 3"},
        {"FanOnGpio", 0, 0, 19, {0, 18, 19}, "GPIO of a fan (0 = none)"},
        {"FanTemp", 60, 50, 80, {}, "Fan switch-on temperature in degrees Celsius"},
        {"XhciPci", 0, 0, 2, {}, "USB: 0 = XHCI, 1 = PCIe, 2 = PCIe (CM4)"},
        {"SdIsArasan", 0, 0, 1, {}, "1 = SD card on the Arasan controller"},
        {"MmcDisableMulti", 0, 0, 1, {}, "1 = disable multi-block transfers"},
        {"MmcForce1Bit", 0, 0, 1, {}, "1 = force 1-bit SD mode"},
        {"MmcForceDefaultSpeed", 0, 0, 1, {}, "1 = force default SD speed"},
        {"MmcSdDefaultSpeedMHz", 25, 1, 200, {}, "SD default speed in MHz"},
        {"MmcSdHighSpeedMHz", 50, 1, 200, {}, "SD high speed in MHz"},
        {"MmcEnableDma", 1, 0, 1, {}, "1 = SD DMA enabled"},
        {"DebugEnableJTAG", 0, 0, 1, {}, "1 = JTAG pins enabled"},
        {"DisplayEnableSShot", 1, 0, 1, {}, "1 = screenshot key enabled"},
    };
    return all;
}

const Setting* find_setting(std::string_view name) {
    for (auto& s : settings())
        if (name == s.name) return &s;
    return nullptr;
}

json attributes(const json& doc) {
    json out = json::object();
    for (auto& s : settings()) {
        uint32_t v = s.default_value;
        if (auto d = get_var(doc, s.name, kConfigDxeGuid); d && d->size() >= 4)
            v = (*d)[0] | (*d)[1] << 8 | (*d)[2] << 16 | static_cast<uint32_t>((*d)[3]) << 24;
        out[s.name] = v;
    }
    return out;
}

void set_attribute(json& doc, const Setting& s, uint32_t value) {
    std::vector<uint8_t> d;
    for (int i = 0; i < 4; ++i) d.push_back(static_cast<uint8_t>(value >> (8 * i)));
    set_var(doc, s.name, kConfigDxeGuid, d);
}

}  // namespace mb::redfish::uefi
