#include "efi/devpath.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/bytes.hpp"
#include "efi/guid.hpp"

namespace mb::efi {

namespace {

constexpr uint32_t kEisaMask = 0xFFFF, kEisaConst = 0x41D0;

// Vendor messaging GUIDs with edk2 short names.
struct VendorAlias {
    std::string_view name;
    std::string_view guid;
};
// USB classes edk2 prints by name: Name(vid,pid,subclass,protocol).
struct UsbClassName {
    uint8_t cls;
    std::string_view name;
};
constexpr UsbClassName kUsbClassNames[] = {
    {0x01, "UsbAudio"},     {0x02, "UsbCDCControl"},  {0x03, "UsbHID"},        {0x06, "UsbImage"},
    {0x07, "UsbPrinter"},   {0x08, "UsbMassStorage"}, {0x09, "UsbHub"},        {0x0A, "UsbCDCData"},
    {0x0B, "UsbSmartCard"}, {0x0E, "UsbVideo"},       {0xDC, "UsbDiagnostic"}, {0xE0, "UsbWireless"},
};

constexpr VendorAlias kVenMsgAliases[] = {
    {"VenPcAnsi", "e0c14753-f9be-11d2-9a0c-0090273fc14d"},
    {"VenVt100", "dfa66065-b419-11d3-9a2d-0090273fc14d"},
    {"VenVt100Plus", "7baec70b-57e0-4c76-8e87-2f9e28088343"},
    {"VenUtf8", "ad15a0d6-8bec-4acf-a073-d01de77e2d88"},
};

std::string hex_upper(std::span<const uint8_t> b) {
    return to_upper(to_hex(b));
}

std::string guid_at(const std::vector<uint8_t>& d, size_t off = 0) {
    return Guid::from_bytes(std::span(d).subspan(off, 16)).upper();
}

std::string ipv4_text(const uint8_t* p) {
    return fmt::format("{}.{}.{}.{}", p[0], p[1], p[2], p[3]);
}

std::string ipv6_text(const uint8_t* p) {
    std::string s;
    for (int i = 0; i < 8; ++i) {
        if (i) s += ':';
        s += fmt::format("{:02X}{:02X}", p[2 * i], p[2 * i + 1]);
    }
    return s;
}

std::string protocol_text(uint16_t proto) {
    if (proto == 6) return "TCP";
    if (proto == 17) return "UDP";
    return fmt::format("0x{:X}", proto);
}

std::string generic_text(const DevicePathNode& n) {
    std::string head;
    switch (n.type) {
        case node_type::kHardware: head = fmt::format("HardwarePath({}", n.subtype); break;
        case node_type::kAcpi: head = fmt::format("AcpiPath({}", n.subtype); break;
        case node_type::kMessaging: head = fmt::format("Msg({}", n.subtype); break;
        case node_type::kMedia: head = fmt::format("MediaPath({}", n.subtype); break;
        case node_type::kBbs: head = fmt::format("BbsPath({}", n.subtype); break;
        default: head = fmt::format("Path({},{}", n.type, n.subtype);
    }
    if (!n.data.empty()) head += "," + hex_upper(n.data);
    return head + ")";
}

bool all_zero(const uint8_t* p, size_t n) {
    return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

// edk2 text for a known node, or nullopt when the node must use the generic form to stay lossless.
std::optional<std::string> known_text(const DevicePathNode& n) {
    const auto& d = n.data;
    const size_t len = d.size();
    const uint8_t* p = d.data();
    switch (n.type) {
        case node_type::kHardware:
            if (n.subtype == 0x01 && len == 2) return fmt::format("Pci(0x{:X},0x{:X})", p[1], p[0]);
            if (n.subtype == 0x02 && len == 1) return fmt::format("PcCard(0x{:X})", p[0]);
            if (n.subtype == 0x03 && len == 20)
                return fmt::format("MemoryMapped(0x{:X},0x{:X},0x{:X})", le32(p), le64(p + 4), le64(p + 12));
            if (n.subtype == 0x04 && len >= 16) {
                if (len == 16) return "VenHw(" + guid_at(d) + ")";
                return "VenHw(" + guid_at(d) + "," + hex_upper(std::span(d).subspan(16)) + ")";
            }
            if (n.subtype == 0x05 && len == 4) return fmt::format("Ctrl(0x{:X})", le32(p));
            return std::nullopt;
        case node_type::kAcpi:
            if (n.subtype == 0x01 && len == 8) {
                const uint32_t hid = le32(p), uid = le32(p + 4);
                if ((hid & kEisaMask) == kEisaConst) {
                    switch (hid >> 16) {
                        case 0x0A03: return fmt::format("PciRoot(0x{:X})", uid);
                        case 0x0A08: return fmt::format("PcieRoot(0x{:X})", uid);
                        case 0x0604: return fmt::format("Floppy(0x{:X})", uid);
                        case 0x0301: return fmt::format("Keyboard(0x{:X})", uid);
                        case 0x0501: return fmt::format("Serial(0x{:X})", uid);
                        case 0x0401: return fmt::format("ParallelPort(0x{:X})", uid);
                        default: return fmt::format("Acpi(PNP{:04X},0x{:X})", hid >> 16, uid);
                    }
                }
                return fmt::format("Acpi(0x{:08X},0x{:X})", hid, uid);
            }
            return std::nullopt;
        case node_type::kMessaging:
            switch (n.subtype) {
                case 0x02:
                    if (len == 4) return fmt::format("Scsi(0x{:X},0x{:X})", le16(p), le16(p + 2));
                    break;
                case 0x05:
                    if (len == 2) return fmt::format("USB(0x{:X},0x{:X})", p[0], p[1]);
                    break;
                case 0x0A:
                    if (len >= 16) {
                        const std::string g = guid_at(d);
                        if (len == 16) {
                            for (const auto& a : kVenMsgAliases) {
                                if (iequals(a.guid, g)) return std::string(a.name) + "()";
                            }
                            return "VenMsg(" + g + ")";
                        }
                        return "VenMsg(" + g + "," + hex_upper(std::span(d).subspan(16)) + ")";
                    }
                    break;
                case 0x0B:
                    if (len == 33) {
                        const size_t n_mac = (p[32] == 0 || p[32] == 1) ? 6 : 32;
                        if (n_mac == 6 && !all_zero(p + 6, 26)) break;
                        return fmt::format("MAC({},0x{:X})", hex_upper({p, n_mac}), p[32]);
                    }
                    break;
                case 0x0C:
                    if ((len == 23 || len == 15) && le16(p + 8) == 0 && le16(p + 10) == 0 && p[14] <= 1) {
                        std::string s = fmt::format("IPv4({},{},{},{}", ipv4_text(p + 4), protocol_text(le16(p + 12)),
                                                    p[14] ? "Static" : "DHCP", ipv4_text(p));
                        if (len == 23) s += "," + ipv4_text(p + 15) + "," + ipv4_text(p + 19);
                        return s + ")";
                    }
                    break;
                case 0x0D:
                    if ((len == 56 || len == 39) && le16(p + 32) == 0 && le16(p + 34) == 0 && p[38] <= 2) {
                        static constexpr const char* kOrigin[] = {"Static", "StatelessAutoConfigure",
                                                                  "StatefulAutoConfigure"};
                        std::string s = fmt::format("IPv6({},{},{},{}", ipv6_text(p + 16), protocol_text(le16(p + 36)),
                                                    kOrigin[p[38]], ipv6_text(p));
                        if (len == 56) s += fmt::format(",0x{:X},{}", p[39], ipv6_text(p + 40));
                        return s + ")";
                    }
                    break;
                case 0x0E:
                    if (len == 15 && le32(p) == 0 && p[13] <= 5 && p[14] <= 3) {
                        static constexpr const char* kParity = "DNEOMS";
                        static constexpr const char* kStop[] = {"D", "1", "1.5", "2"};
                        const uint64_t baud = le64(p + 4);
                        return fmt::format("Uart({},{},{},{})", baud ? std::to_string(baud) : "DEFAULT",
                                           p[12] ? std::to_string(p[12]) : "DEFAULT", kParity[p[13]], kStop[p[14]]);
                    }
                    break;
                case 0x0F:
                    if (len == 7) {
                        const uint16_t vid = le16(p), pid = le16(p + 2);
                        for (const auto& u : kUsbClassNames) {
                            if (u.cls == p[4]) {
                                return fmt::format("{}(0x{:X},0x{:X},0x{:X},0x{:X})", u.name, vid, pid, p[5], p[6]);
                            }
                        }
                        return fmt::format("UsbClass(0x{:X},0x{:X},0x{:X},0x{:X},0x{:X})", vid, pid, p[4], p[5], p[6]);
                    }
                    break;
                case 0x12:
                    if (len == 6) return fmt::format("Sata(0x{:X},0x{:X},0x{:X})", le16(p), le16(p + 2), le16(p + 4));
                    break;
                case 0x14:
                    if (len == 2) return fmt::format("Vlan({})", le16(p));
                    break;
                case 0x17:
                    if (len == 12) {
                        return fmt::format("NVMe(0x{:X},{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X})",
                                           le32(p), p[11], p[10], p[9], p[8], p[7], p[6], p[5], p[4]);
                    }
                    break;
                case 0x18: {
                    const bool plain = std::all_of(d.begin(), d.end(), [](uint8_t c) {
                        return c > 0x20 && c < 0x7F && c != '(' && c != ')' && c != ',';
                    });
                    if (plain) return "Uri(" + std::string(d.begin(), d.end()) + ")";
                    break;
                }
                case 0x1A:
                    if (len == 1) return fmt::format("SD(0x{:X})", p[0]);
                    break;
                case 0x1D:
                    if (len == 1) return fmt::format("eMMC(0x{:X})", p[0]);
                    break;
                default: break;
            }
            return std::nullopt;
        case node_type::kMedia:
            switch (n.subtype) {
                case 0x01:
                    if (len == 38) {
                        const uint32_t part = le32(p);
                        const uint64_t start = le64(p + 4), size = le64(p + 12);
                        const uint8_t mbr_type = p[36], sig_type = p[37];
                        if (sig_type == 1 && mbr_type == 1 && all_zero(p + 24, 12)) {
                            return fmt::format("HD({},MBR,0x{:08X},0x{:X},0x{:X})", part, le32(p + 20), start, size);
                        }
                        if (sig_type == 2 && mbr_type == 2) {
                            return fmt::format("HD({},GPT,{},0x{:X},0x{:X})", part, guid_at(d, 20), start, size);
                        }
                    }
                    break;
                case 0x02:
                    if (len == 20)
                        return fmt::format("CDROM(0x{:X},0x{:X},0x{:X})", le32(p), le64(p + 4), le64(p + 12));
                    break;
                case 0x03:
                    if (len >= 16) {
                        if (len == 16) return "VenMedia(" + guid_at(d) + ")";
                        return "VenMedia(" + guid_at(d) + "," + hex_upper(std::span(d).subspan(16)) + ")";
                    }
                    break;
                case 0x04: {
                    if (len < 4 || (len & 1) || le16(p + len - 2) != 0) break;
                    std::string s;
                    for (size_t i = 0; i + 2 < len; i += 2) {
                        const uint16_t c = le16(p + i);
                        if (c <= 0x20 || c >= 0x7F || c == '/' || c == ',' || c == '(' || c == ')') return std::nullopt;
                        s.push_back(static_cast<char>(c));
                    }
                    return s;
                }
                case 0x06:
                    if (len == 16) return "FvFile(" + guid_at(d) + ")";
                    break;
                case 0x07:
                    if (len == 16) return "Fv(" + guid_at(d) + ")";
                    break;
                case 0x08:
                    if (len == 20 && le32(p) == 0)
                        return fmt::format("Offset(0x{:X},0x{:X})", le64(p + 4), le64(p + 12));
                    break;
                default: break;
            }
            return std::nullopt;
        default: return std::nullopt;
    }
    return std::nullopt;
}

// ---- text parsing ----

struct Ctx {
    std::string_view node;
    size_t pos;
    [[noreturn]] void fail(const std::string& what) const {
        throw data_error(fmt::format("device path text, node {} at character {}: {}", mb::quoted(node), pos, what));
    }
};

std::vector<std::string_view> split_args(std::string_view args) {
    std::vector<std::string_view> out;
    if (trim(args).empty()) return out;
    size_t start = 0;
    for (size_t i = 0; i <= args.size(); ++i) {
        if (i == args.size() || args[i] == ',') {
            out.push_back(trim(args.substr(start, i - start)));
            start = i + 1;
        }
    }
    return out;
}

uint64_t num(const Ctx& c, std::string_view s, uint64_t max, const char* field) {
    s = trim(s);
    std::optional<uint64_t> v;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        uint64_t x = 0;
        bool ok = s.size() <= 18;
        for (char ch : s.substr(2)) {
            const int h =
                std::isxdigit(static_cast<unsigned char>(ch)) ? std::stoi(std::string(1, ch), nullptr, 16) : -1;
            if (h < 0) ok = false;
            x = x << 4 | static_cast<uint64_t>(h < 0 ? 0 : h);
        }
        if (ok) v = x;
    } else {
        v = parse_uint(s);
    }
    if (!v || *v > max) c.fail(fmt::format("{} {} is not a number in 0..{:#x}", field, mb::quoted(s), max));
    return *v;
}

std::string_view arg(const Ctx& c, const std::vector<std::string_view>& a, size_t i, const char* field) {
    if (i >= a.size() || a[i].empty()) c.fail(fmt::format("missing {}", field));
    return a[i];
}

std::vector<uint8_t> guid_bytes(const Ctx& c, std::string_view s) {
    auto g = Guid::parse(trim(s));
    if (!g) c.fail(fmt::format("{} is not a GUID", mb::quoted(s)));
    return {g->bytes().begin(), g->bytes().end()};
}

std::vector<uint8_t> hex_bytes(const Ctx& c, std::string_view s) {
    auto b = parse_hex(trim(s));
    if (!b) c.fail(fmt::format("{} is not hex data", mb::quoted(s)));
    return *b;
}

void ipv4(const Ctx& c, std::string_view s, std::vector<uint8_t>& out) {
    in_addr a{};
    std::string str(trim(s));
    if (str.empty()) str = "0.0.0.0";
    if (inet_pton(AF_INET, str.c_str(), &a) != 1) c.fail(fmt::format("{} is not an IPv4 address", mb::quoted(s)));
    const auto* b = reinterpret_cast<const uint8_t*>(&a);
    out.insert(out.end(), b, b + 4);
}

void ipv6(const Ctx& c, std::string_view s, std::vector<uint8_t>& out) {
    in6_addr a{};
    std::string str(trim(s));
    if (str.empty()) str = "::";
    if (inet_pton(AF_INET6, str.c_str(), &a) != 1) c.fail(fmt::format("{} is not an IPv6 address", mb::quoted(s)));
    const auto* b = reinterpret_cast<const uint8_t*>(&a);
    out.insert(out.end(), b, b + 16);
}

uint16_t protocol(const Ctx& c, std::string_view s) {
    if (iequals(trim(s), "TCP")) return 6;
    if (iequals(trim(s), "UDP")) return 17;
    return static_cast<uint16_t>(num(c, s, 0xFFFF, "protocol"));
}

// key=value argument (virt-firmware spelling), "" when absent.
std::string_view kv(const std::vector<std::string_view>& a, std::string_view key) {
    for (auto s : a) {
        if (s.size() > key.size() && s.substr(0, key.size()) == key && s[key.size()] == '=')
            return s.substr(key.size() + 1);
    }
    return {};
}

DevicePathNode file_path_node(std::string_view path) {
    DevicePathNode n{node_type::kMedia, 0x04, {}};
    for (char ch : path) append16(n.data, static_cast<uint8_t>(ch));
    append16(n.data, 0);
    return n;
}

DevicePathNode vendor(const Ctx& c, uint8_t type, uint8_t sub, const std::vector<std::string_view>& a) {
    DevicePathNode n{type, sub, guid_bytes(c, arg(c, a, 0, "GUID"))};
    if (a.size() > 1) {
        auto extra = hex_bytes(c, a[1]);
        n.data.insert(n.data.end(), extra.begin(), extra.end());
    }
    return n;
}

DevicePathNode acpi(uint32_t hid, uint32_t uid) {
    DevicePathNode n{node_type::kAcpi, 0x01, {}};
    append32(n.data, hid);
    append32(n.data, uid);
    return n;
}

uint32_t eisa(uint16_t id) {
    return static_cast<uint32_t>(id) << 16 | kEisaConst;
}

DevicePathNode parse_node(const Ctx& c, std::string_view name, std::string_view args_text) {
    const auto a = split_args(args_text);
    auto is = [&](std::string_view n) { return iequals(name, n); };
    DevicePathNode n;
    auto& d = n.data;
    if (is("Pci") || is("PCI")) {
        n = {node_type::kHardware, 0x01, {}};
        if (auto dev = kv(a, "dev"); !dev.empty()) {  // virt-firmware: PCI(dev=1f:2)
            const auto parts = split(dev, ':');
            if (parts.size() != 2) c.fail("expected dev=DD:F");
            d.push_back(static_cast<uint8_t>(num(c, "0x" + parts[1], 0xFF, "function")));
            d.push_back(static_cast<uint8_t>(num(c, "0x" + parts[0], 0xFF, "device")));
            return n;
        }
        const uint64_t dev = num(c, arg(c, a, 0, "device"), 0xFF, "device");
        d.push_back(static_cast<uint8_t>(num(c, arg(c, a, 1, "function"), 0xFF, "function")));
        d.push_back(static_cast<uint8_t>(dev));
        return n;
    }
    if (is("PcCard"))
        return {node_type::kHardware, 0x02, {static_cast<uint8_t>(num(c, arg(c, a, 0, "function"), 0xFF, "function"))}};
    if (is("MemoryMapped")) {
        n = {node_type::kHardware, 0x03, {}};
        append32(d, static_cast<uint32_t>(num(c, arg(c, a, 0, "type"), 0xFFFFFFFF, "type")));
        append64(d, num(c, arg(c, a, 1, "start"), UINT64_MAX, "start"));
        append64(d, num(c, arg(c, a, 2, "end"), UINT64_MAX, "end"));
        return n;
    }
    if (is("VenHw") || is("VendorHW")) return vendor(c, node_type::kHardware, 0x04, a);
    if (is("Ctrl")) {
        n = {node_type::kHardware, 0x05, {}};
        append32(d, static_cast<uint32_t>(num(c, arg(c, a, 0, "controller"), 0xFFFFFFFF, "controller")));
        return n;
    }
    if (is("PciRoot"))
        return acpi(eisa(0x0A03), a.empty() ? 0 : static_cast<uint32_t>(num(c, a[0], 0xFFFFFFFF, "UID")));
    if (is("PcieRoot"))
        return acpi(eisa(0x0A08), a.empty() ? 0 : static_cast<uint32_t>(num(c, a[0], 0xFFFFFFFF, "UID")));
    if (is("Floppy")) return acpi(eisa(0x0604), a.empty() ? 0 : static_cast<uint32_t>(num(c, a[0], 0xFFFFFFFF, "UID")));
    if (is("Keyboard"))
        return acpi(eisa(0x0301), a.empty() ? 0 : static_cast<uint32_t>(num(c, a[0], 0xFFFFFFFF, "UID")));
    if (is("Serial")) return acpi(eisa(0x0501), a.empty() ? 0 : static_cast<uint32_t>(num(c, a[0], 0xFFFFFFFF, "UID")));
    if (is("ParallelPort"))
        return acpi(eisa(0x0401), a.empty() ? 0 : static_cast<uint32_t>(num(c, a[0], 0xFFFFFFFF, "UID")));
    if (is("Acpi") || is("ACPI")) {
        if (auto hid = kv(a, "hid"); !hid.empty()) {  // virt-firmware: ACPI(hid=0xa0841d0,uid=0x0)
            return acpi(static_cast<uint32_t>(num(c, hid, 0xFFFFFFFF, "hid")),
                        static_cast<uint32_t>(num(c, kv(a, "uid").empty() ? "0" : kv(a, "uid"), 0xFFFFFFFF, "uid")));
        }
        const auto h = arg(c, a, 0, "HID");
        uint32_t hid;
        if (h.size() == 7 && starts_with_icase(h, "PNP")) {
            hid = eisa(static_cast<uint16_t>(num(c, std::string("0x") + std::string(h.substr(3)), 0xFFFF, "PNP id")));
        } else {
            hid = static_cast<uint32_t>(num(c, h, 0xFFFFFFFF, "HID"));
        }
        return acpi(hid, a.size() > 1 ? static_cast<uint32_t>(num(c, a[1], 0xFFFFFFFF, "UID")) : 0);
    }
    if (is("Scsi") || is("SCSI")) {
        n = {node_type::kMessaging, 0x02, {}};
        if (!kv(a, "pun").empty()) {
            append16(d, static_cast<uint16_t>(num(c, kv(a, "pun"), 0xFFFF, "pun")));
            append16(d, static_cast<uint16_t>(num(c, kv(a, "lun").empty() ? "0" : kv(a, "lun"), 0xFFFF, "lun")));
            return n;
        }
        append16(d, static_cast<uint16_t>(num(c, arg(c, a, 0, "PUN"), 0xFFFF, "PUN")));
        append16(d, static_cast<uint16_t>(num(c, arg(c, a, 1, "LUN"), 0xFFFF, "LUN")));
        return n;
    }
    if (is("USB")) {
        n = {node_type::kMessaging, 0x05, {}};
        if (auto port = kv(a, "port"); !port.empty()) {  // virt-firmware: USB(port=2)
            d = {static_cast<uint8_t>(num(c, port, 0xFF, "port")), 0};
            return n;
        }
        d.push_back(static_cast<uint8_t>(num(c, arg(c, a, 0, "port"), 0xFF, "port")));
        d.push_back(static_cast<uint8_t>(num(c, arg(c, a, 1, "interface"), 0xFF, "interface")));
        return n;
    }
    if (is("VenMsg")) return vendor(c, node_type::kMessaging, 0x0A, a);
    for (const auto& al : kVenMsgAliases) {
        if (is(al.name)) return {node_type::kMessaging, 0x0A, guid_bytes(c, al.guid)};
    }
    if (is("MAC")) {
        if (a.empty()) c.fail("MAC() without fields is the lossy virt-firmware spelling; give MAC(hex,IfType)");
        n = {node_type::kMessaging, 0x0B, {}};
        auto mac = hex_bytes(c, a[0]);
        if (mac.empty() || mac.size() > 32) c.fail("MAC address must have 1..32 bytes");
        mac.resize(32, 0);
        d = mac;
        d.push_back(static_cast<uint8_t>(a.size() > 1 ? num(c, a[1], 0xFF, "IfType") : 1));
        return n;
    }
    if (is("IPv4")) {
        if (a.empty())
            c.fail("IPv4() without fields is the lossy virt-firmware spelling; give IPv4(remote,proto,DHCP,...)");
        n = {node_type::kMessaging, 0x0C, {}};
        auto at = [&](size_t i) { return i < a.size() ? a[i] : std::string_view{}; };
        ipv4(c, at(3), d);  // local
        ipv4(c, at(0), d);  // remote
        append16(d, 0);
        append16(d, 0);
        append16(d, at(1).empty() ? 0 : protocol(c, at(1)));
        const auto type = at(2);
        if (type.empty() || iequals(type, "DHCP")) {
            d.push_back(0);
        } else if (iequals(type, "Static")) {
            d.push_back(1);
        } else {
            c.fail(fmt::format("type {} is neither DHCP nor Static", mb::quoted(type)));
        }
        if (a.size() != 4) {  // 4 arguments = the old 19-byte node without gateway and mask
            ipv4(c, at(4), d);
            ipv4(c, at(5), d);
        }
        return n;
    }
    if (is("IPv6")) {
        if (a.empty()) c.fail("IPv6() without fields is the lossy virt-firmware spelling");
        n = {node_type::kMessaging, 0x0D, {}};
        auto at = [&](size_t i) { return i < a.size() ? a[i] : std::string_view{}; };
        ipv6(c, at(3), d);
        ipv6(c, at(0), d);
        append16(d, 0);
        append16(d, 0);
        append16(d, at(1).empty() ? 0 : protocol(c, at(1)));
        const auto origin = at(2);
        if (origin.empty() || iequals(origin, "Static")) {
            d.push_back(0);
        } else if (iequals(origin, "StatelessAutoConfigure")) {
            d.push_back(1);
        } else if (iequals(origin, "StatefulAutoConfigure")) {
            d.push_back(2);
        } else {
            c.fail(fmt::format("origin {} is not Static, StatelessAutoConfigure or StatefulAutoConfigure",
                               mb::quoted(origin)));
        }
        if (a.size() != 4) {
            d.push_back(static_cast<uint8_t>(at(4).empty() ? 0 : num(c, at(4), 0xFF, "prefix length")));
            ipv6(c, at(5), d);
        }
        return n;
    }
    if (is("Uart")) {
        n = {node_type::kMessaging, 0x0E, {}};
        append32(d, 0);
        auto at = [&](size_t i) { return i < a.size() ? a[i] : std::string_view{}; };
        append64(d, at(0).empty() || iequals(at(0), "DEFAULT") ? 0 : num(c, at(0), UINT64_MAX, "baud rate"));
        d.push_back(
            static_cast<uint8_t>(at(1).empty() || iequals(at(1), "DEFAULT") ? 0 : num(c, at(1), 0xFF, "data bits")));
        const std::string_view parity = at(2).empty() ? "D" : at(2);
        const auto pi =
            std::string_view("DNEOMS").find(static_cast<char>(std::toupper(static_cast<unsigned char>(parity[0]))));
        if (parity.size() != 1 || pi == std::string_view::npos) c.fail("parity must be one of D N E O M S");
        d.push_back(static_cast<uint8_t>(pi));
        const std::string_view stop = at(3).empty() ? "D" : at(3);
        static constexpr std::string_view kStop[] = {"D", "1", "1.5", "2"};
        const auto si = std::find(std::begin(kStop), std::end(kStop), stop);
        if (si == std::end(kStop)) c.fail("stop bits must be one of D 1 1.5 2");
        d.push_back(static_cast<uint8_t>(si - std::begin(kStop)));
        return n;
    }
    const UsbClassName* usb_named = nullptr;
    for (const auto& u : kUsbClassNames) {
        if (is(u.name)) usb_named = &u;
    }
    if (is("UsbClass") || usb_named) {
        n = {node_type::kMessaging, 0x0F, {}};
        size_t i = 0;
        append16(d, static_cast<uint16_t>(num(c, arg(c, a, i++, "vendor id"), 0xFFFF, "vendor id")));
        append16(d, static_cast<uint16_t>(num(c, arg(c, a, i++, "product id"), 0xFFFF, "product id")));
        if (usb_named) {
            d.push_back(usb_named->cls);
        } else {
            d.push_back(static_cast<uint8_t>(num(c, arg(c, a, i++, "class"), 0xFF, "class")));
        }
        d.push_back(static_cast<uint8_t>(num(c, arg(c, a, i++, "subclass"), 0xFF, "subclass")));
        d.push_back(static_cast<uint8_t>(num(c, arg(c, a, i, "protocol"), 0xFF, "protocol")));
        return n;
    }
    if (is("Sata") || is("SATA")) {
        n = {node_type::kMessaging, 0x12, {}};
        if (auto port = kv(a, "port"); !port.empty()) {
            append16(d, static_cast<uint16_t>(num(c, port, 0xFFFF, "port")));
            append16(d, 0xFFFF);
            append16(d, 0);
            return n;
        }
        append16(d, static_cast<uint16_t>(num(c, arg(c, a, 0, "HBA port"), 0xFFFF, "HBA port")));
        append16(d, static_cast<uint16_t>(a.size() > 1 ? num(c, a[1], 0xFFFF, "port multiplier port") : 0xFFFF));
        append16(d, static_cast<uint16_t>(a.size() > 2 ? num(c, a[2], 0xFFFF, "LUN") : 0));
        return n;
    }
    if (is("Vlan")) {
        n = {node_type::kMessaging, 0x14, {}};
        append16(d, static_cast<uint16_t>(num(c, arg(c, a, 0, "VLAN id"), 0xFFFF, "VLAN id")));
        return n;
    }
    if (is("NVMe")) {
        n = {node_type::kMessaging, 0x17, {}};
        append32(d, static_cast<uint32_t>(num(c, arg(c, a, 0, "namespace id"), 0xFFFFFFFF, "namespace id")));
        auto eui = a.size() > 1 ? hex_bytes(c, a[1]) : std::vector<uint8_t>(8, 0);
        if (eui.size() != 8) c.fail("EUI-64 must have 8 bytes");
        d.insert(d.end(), eui.rbegin(), eui.rend());  // edk2 prints the bytes in reverse
        return n;
    }
    if (is("Uri") || is("URI")) {
        n = {node_type::kMessaging, 0x18, {}};
        const auto t = trim(args_text);
        d.assign(t.begin(), t.end());
        return n;
    }
    if (is("SD"))
        return {node_type::kMessaging, 0x1A, {static_cast<uint8_t>(num(c, arg(c, a, 0, "slot"), 0xFF, "slot"))}};
    if (is("eMMC"))
        return {node_type::kMessaging, 0x1D, {static_cast<uint8_t>(num(c, arg(c, a, 0, "slot"), 0xFF, "slot"))}};
    if (is("HD")) {
        n = {node_type::kMedia, 0x01, {}};
        append32(d, static_cast<uint32_t>(num(c, arg(c, a, 0, "partition"), 0xFFFFFFFF, "partition")));
        append64(d, num(c, arg(c, a, 3, "start"), UINT64_MAX, "start"));
        append64(d, num(c, arg(c, a, 4, "size"), UINT64_MAX, "size"));
        const auto type = arg(c, a, 1, "type");
        if (iequals(type, "MBR")) {
            append32(d, static_cast<uint32_t>(num(c, arg(c, a, 2, "signature"), 0xFFFFFFFF, "signature")));
            d.resize(d.size() + 12, 0);
            d.push_back(1);
            d.push_back(1);
        } else if (iequals(type, "GPT")) {
            auto g = guid_bytes(c, arg(c, a, 2, "signature"));
            d.insert(d.end(), g.begin(), g.end());
            d.push_back(2);
            d.push_back(2);
        } else {
            c.fail(fmt::format("partition type {} is neither MBR nor GPT", mb::quoted(type)));
        }
        return n;
    }
    if (is("Partition"))
        c.fail("Partition(nr=N) is the lossy virt-firmware spelling; give HD(n,GPT|MBR,sig,start,size)");
    if (is("CDROM")) {
        n = {node_type::kMedia, 0x02, {}};
        append32(d, static_cast<uint32_t>(num(c, arg(c, a, 0, "boot entry"), 0xFFFFFFFF, "boot entry")));
        append64(d, num(c, arg(c, a, 1, "start"), UINT64_MAX, "start"));
        append64(d, num(c, arg(c, a, 2, "size"), UINT64_MAX, "size"));
        return n;
    }
    if (is("VenMedia")) return vendor(c, node_type::kMedia, 0x03, a);
    if (is("File") || is("FilePath")) return file_path_node(trim(args_text));
    if (is("FvFile") || is("FvFileName")) return {node_type::kMedia, 0x06, guid_bytes(c, arg(c, a, 0, "GUID"))};
    if (is("Fv") || is("FvVol") || is("FvName")) return {node_type::kMedia, 0x07, guid_bytes(c, arg(c, a, 0, "GUID"))};
    if (is("Offset")) {
        n = {node_type::kMedia, 0x08, {}};
        append32(d, 0);
        append64(d, num(c, arg(c, a, 0, "start"), UINT64_MAX, "start"));
        append64(d, num(c, arg(c, a, 1, "end"), UINT64_MAX, "end"));
        return n;
    }
    // Generic forms.
    auto generic = [&](uint8_t type, size_t first) {
        DevicePathNode g{type, static_cast<uint8_t>(num(c, arg(c, a, first, "subtype"), 0xFF, "subtype")), {}};
        if (a.size() > first + 1) g.data = hex_bytes(c, a[first + 1]);
        if (a.size() > first + 2) c.fail("too many arguments");
        return g;
    };
    if (is("HardwarePath")) return generic(node_type::kHardware, 0);
    if (is("AcpiPath")) return generic(node_type::kAcpi, 0);
    if (is("Msg")) {
        if (!kv(a, "subtype").empty()) c.fail("Msg(subtype=...) is the lossy virt-firmware spelling");
        return generic(node_type::kMessaging, 0);
    }
    if (is("MediaPath")) return generic(node_type::kMedia, 0);
    if (is("BbsPath")) return generic(node_type::kBbs, 0);
    if (is("Path")) {
        const auto type = static_cast<uint8_t>(num(c, arg(c, a, 0, "type"), 0xFF, "type"));
        return generic(type, 1);
    }
    c.fail(fmt::format("unknown node type {}", mb::quoted(name)));
}

}  // namespace

std::string node_to_text(const DevicePathNode& node) {
    if (auto t = known_text(node)) return *t;
    return generic_text(node);
}

DevicePath DevicePath::decode(std::span<const uint8_t> bytes, size_t* consumed, size_t base) {
    DevicePath path;
    size_t p = 0;
    while (true) {
        if (p + 4 > bytes.size()) {
            throw data_error(fmt::format("device path at byte {}: {} without an End-Entire node", base + p,
                                         p == 0 ? "empty" : "ends"));
        }
        const uint8_t type = bytes[p], sub = bytes[p + 1];
        const uint16_t len = le16(bytes.data() + p + 2);
        if (len < 4 || p + len > bytes.size()) {
            throw data_error(fmt::format("device path node at byte {} (type {:#04x}/{:#04x}): length {} is invalid",
                                         base + p, type, sub, len));
        }
        if (type == node_type::kEnd && sub == 0xFF) {
            if (len != 4) {
                throw data_error(fmt::format("device path End-Entire node at byte {} has length {}", base + p, len));
            }
            p += 4;
            break;
        }
        path.nodes_.push_back({type, sub,
                               std::vector<uint8_t>(bytes.begin() + static_cast<long>(p + 4),
                                                    bytes.begin() + static_cast<long>(p + len))});
        p += len;
    }
    if (consumed) *consumed = p;
    return path;
}

std::vector<DevicePath> DevicePath::decode_list(std::span<const uint8_t> bytes, size_t base) {
    std::vector<DevicePath> out;
    size_t p = 0;
    while (p < bytes.size()) {
        size_t used = 0;
        out.push_back(decode(bytes.subspan(p), &used, base + p));
        p += used;
    }
    return out;
}

std::vector<uint8_t> DevicePath::encode() const {
    std::vector<uint8_t> out;
    for (const auto& n : nodes_) {
        out.push_back(n.type);
        out.push_back(n.subtype);
        append16(out, static_cast<uint16_t>(n.data.size() + 4));
        out.insert(out.end(), n.data.begin(), n.data.end());
    }
    out.insert(out.end(), {0x7F, 0xFF, 0x04, 0x00});
    return out;
}

std::string DevicePath::to_text() const {
    std::string s;
    bool need_sep = false;
    for (const auto& n : nodes_) {
        if (n.is_end_instance() && n.data.empty()) {
            s += ',';
            need_sep = false;
            continue;
        }
        if (need_sep) s += '/';
        s += node_to_text(n);
        need_sep = true;
    }
    return s;
}

DevicePath DevicePath::parse(std::string_view text) {
    DevicePath path;
    const std::string_view all = text;
    size_t i = 0;
    auto flush = [&](size_t start, size_t end) {
        std::string_view tok = all.substr(start, end - start);
        const size_t lead = tok.size() - trim(tok).size();
        tok = trim(tok);
        (void)lead;
        if (tok.empty()) return;
        Ctx c{tok, start};
        const size_t open = tok.find('(');
        if (open == std::string_view::npos) {
            path.nodes_.push_back(file_path_node(tok));
            return;
        }
        if (tok.back() != ')') c.fail("missing ')'");
        const auto name = trim(tok.substr(0, open));
        if (name.empty()) c.fail("missing node name before '('");
        path.nodes_.push_back(parse_node(c, name, tok.substr(open + 1, tok.size() - open - 2)));
    };
    size_t start = 0;
    int depth = 0;
    for (i = 0; i < all.size(); ++i) {
        const char ch = all[i];
        if (ch == '(') {
            ++depth;
        } else if (ch == ')') {
            if (--depth < 0) throw data_error(fmt::format("device path text: unbalanced ')' at character {}", i));
        } else if (depth == 0 && (ch == '/' || ch == ',')) {
            flush(start, i);
            if (ch == ',') path.nodes_.push_back({node_type::kEnd, 0x01, {}});
            start = i + 1;
        }
    }
    if (depth != 0) throw data_error("device path text: missing ')' at the end");
    flush(start, all.size());
    if (path.nodes_.empty()) throw data_error("device path text is empty");
    return path;
}

DevicePathNode DevicePath::mac_node(std::span<const uint8_t, 6> mac, uint8_t if_type) {
    DevicePathNode n{node_type::kMessaging, 0x0B, std::vector<uint8_t>(33, 0)};
    std::copy(mac.begin(), mac.end(), n.data.begin());
    n.data[32] = if_type;
    return n;
}

DevicePathNode DevicePath::ipv4_dhcp_node() {
    return {node_type::kMessaging, 0x0C, std::vector<uint8_t>(23, 0)};
}

DevicePathNode DevicePath::ipv6_node() {
    return {node_type::kMessaging, 0x0D, std::vector<uint8_t>(56, 0)};
}

DevicePathNode DevicePath::uri_node(std::string_view uri) {
    return {node_type::kMessaging, 0x18, std::vector<uint8_t>(uri.begin(), uri.end())};
}

DevicePathNode DevicePath::file_node(std::string_view path) {
    return file_path_node(path);
}

}  // namespace mb::efi
