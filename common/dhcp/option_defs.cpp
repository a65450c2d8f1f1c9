#include "dhcp/option_defs.hpp"

#include <fmt/format.h>

#include <array>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "dhcp/options.hpp"

namespace mb::dhcp {

namespace {

using T = OptionType;
constexpr std::array kDefs{
    OptionDef{1, "subnet-mask", T::ip},
    OptionDef{2, "time-offset", T::i32},
    OptionDef{3, "routers", T::ips},
    OptionDef{4, "time-servers", T::ips},
    OptionDef{6, "domain-name-servers", T::ips},
    OptionDef{7, "log-servers", T::ips},
    OptionDef{12, "host-name", T::string},
    OptionDef{13, "boot-size", T::u16},
    OptionDef{15, "domain-name", T::string},
    OptionDef{17, "root-path", T::string},
    OptionDef{22, "max-dgram-reassembly", T::u16},
    OptionDef{23, "default-ip-ttl", T::u8},
    OptionDef{26, "interface-mtu", T::u16},
    OptionDef{28, "broadcast-address", T::ip},
    OptionDef{33, "static-routes", T::ips},
    OptionDef{42, "ntp-servers", T::ips},
    OptionDef{43, "vendor-encapsulated-options", T::vendor},
    OptionDef{44, "netbios-name-servers", T::ips},
    OptionDef{50, "dhcp-requested-address", T::ip},
    OptionDef{51, "dhcp-lease-time", T::u32},
    OptionDef{52, "dhcp-option-overload", T::u8},
    OptionDef{53, "dhcp-message-type", T::message_type},
    OptionDef{54, "dhcp-server-identifier", T::ip},
    OptionDef{55, "dhcp-parameter-request-list", T::u8s},
    OptionDef{56, "dhcp-message", T::string},
    OptionDef{57, "dhcp-max-message-size", T::u16},
    OptionDef{58, "dhcp-renewal-time", T::u32},
    OptionDef{59, "dhcp-rebinding-time", T::u32},
    OptionDef{60, "vendor-class-identifier", T::string},
    OptionDef{61, "dhcp-client-identifier", T::client_id},
    OptionDef{66, "tftp-server-name", T::string},
    OptionDef{67, "boot-file-name", T::string},
    OptionDef{77, "user-class", T::user_class},
    OptionDef{81, "fqdn", T::bytes},
    OptionDef{82, "dhcp-agent-options", T::relay},
    OptionDef{93, "client-system", T::arch},
    OptionDef{94, "client-ndi", T::nii},
    OptionDef{97, "uuid-guid", T::uuid},
    OptionDef{118, "subnet-selection", T::ip},
    OptionDef{119, "domain-search", T::bytes},
    OptionDef{121, "classless-static-route", T::bytes},
    OptionDef{150, "tftp-server-address", T::ips},
    OptionDef{175, "ipxe-encap-opts", T::ipxe},
};

uint32_t be(std::span<const uint8_t> d, size_t at, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | d[at + i];
    return v;
}

// Text for JSON: printable ASCII kept, anything else as \xNN (JSON strings must be valid UTF-8);
// trailing NULs (dnsmasq's opt 67) dropped.
std::string text_of(std::span<const uint8_t> d) {
    size_t n = d.size();
    while (n > 0 && d[n - 1] == 0) --n;
    std::string s;
    s.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        uint8_t c = d[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            s += static_cast<char>(c);
        else
            s += fmt::format("\\x{:02x}", c);
    }
    return s;
}
std::string text_of(std::string_view v) {
    return text_of(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), v.size()));
}

bool printable(std::span<const uint8_t> d) {
    for (uint8_t c : d)
        if ((c < 0x20 || c > 0x7e) && c != 0) return false;
    return true;
}

nlohmann::ordered_json subs_json(const std::vector<SubOption>& subs, std::string (*name)(uint8_t)) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& s : subs) {
        std::string key = name(s.code);
        if (!s.data.empty() && printable(s.data) && s.data.size() > 1)
            j[key] = {{"hex", to_hex(s.data)}, {"text", text_of(s.data)}};
        else
            j[key] = to_hex(s.data);
    }
    return j;
}

nlohmann::ordered_json pxe_json(std::span<const uint8_t> data) {
    auto subs = parse_suboptions(data);
    if (!subs) return to_hex(data);
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& s : *subs) {
        std::string key = pxe_suboption_name(s.code);
        if (s.code == 6 && s.data.size() == 1) {
            j[key] = s.data[0];
        } else if (s.code == 9) {  // menu items: type u16, len, text
            nlohmann::ordered_json items = nlohmann::ordered_json::array();
            size_t i = 0;
            while (i + 3 <= s.data.size()) {
                size_t len = s.data[i + 2];
                if (i + 3 + len > s.data.size()) break;
                items.push_back({{"type", be(s.data, i, 2)},
                                 {"text", text_of(std::span<const uint8_t>(s.data.data() + i + 3, len))}});
                i += 3 + len;
            }
            j[key] = items;
        } else if (s.code == 10 && !s.data.empty()) {
            j[key] = {{"timeout", s.data[0]},
                      {"text", text_of(std::span<const uint8_t>(s.data.data() + 1, s.data.size() - 1))}};
        } else {
            j[key] = to_hex(s.data);
        }
    }
    return j;
}

}  // namespace

std::string mac_str(std::span<const uint8_t> bytes) {
    std::string s;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i) s += ':';
        s += fmt::format("{:02x}", bytes[i]);
    }
    return s;
}

const OptionDef* find_option(uint8_t code) {
    for (const auto& d : kDefs)
        if (d.code == code) return &d;
    return nullptr;
}

const OptionDef* find_option(std::string_view name) {
    for (const auto& d : kDefs)
        if (d.name == name) return &d;
    return nullptr;
}

nlohmann::ordered_json option_to_json(uint8_t code, std::span<const uint8_t> d, bool pxe_vendor) {
    const OptionDef* def = find_option(code);
    const std::string hex = to_hex(d);
    if (!def) return hex;
    switch (def->type) {
        case T::ip:
            if (d.size() == 4) return ip_str(be(d, 0, 4));
            return hex;
        case T::ips: {
            if (d.empty() || d.size() % 4) return hex;
            auto a = nlohmann::ordered_json::array();
            for (size_t i = 0; i < d.size(); i += 4) a.push_back(ip_str(be(d, i, 4)));
            return a;
        }
        case T::u8: return d.size() == 1 ? nlohmann::ordered_json(d[0]) : nlohmann::ordered_json(hex);
        case T::u16: return d.size() == 2 ? nlohmann::ordered_json(be(d, 0, 2)) : nlohmann::ordered_json(hex);
        case T::u32: return d.size() == 4 ? nlohmann::ordered_json(be(d, 0, 4)) : nlohmann::ordered_json(hex);
        case T::i32:
            return d.size() == 4 ? nlohmann::ordered_json(static_cast<int32_t>(be(d, 0, 4)))
                                 : nlohmann::ordered_json(hex);
        case T::flag: return d.size() == 1 ? nlohmann::ordered_json(d[0] != 0) : nlohmann::ordered_json(hex);
        case T::string: return printable(d) ? nlohmann::ordered_json(text_of(d)) : nlohmann::ordered_json(hex);
        case T::bytes: return hex;
        case T::u8s: {
            auto a = nlohmann::ordered_json::array();
            for (uint8_t b : d) a.push_back(b);
            return a;
        }
        case T::u16s: {
            if (d.size() % 2) return hex;
            auto a = nlohmann::ordered_json::array();
            for (size_t i = 0; i < d.size(); i += 2) a.push_back(be(d, i, 2));
            return a;
        }
        case T::message_type:
            if (d.size() == 1 && d[0] >= 1 && d[0] <= 8) return message_type_name(static_cast<MessageType>(d[0]));
            return hex;
        case T::client_id: return mac_str(d);
        case T::user_class: {
            auto uc = parse_user_class(d);
            auto classes = nlohmann::ordered_json::array();
            for (const auto& item : uc.items) classes.push_back(text_of(item));
            return {{"format", uc.raw ? "raw" : "rfc3004"}, {"classes", classes}};
        }
        case T::vendor: return pxe_vendor ? pxe_json(d) : nlohmann::ordered_json(hex);
        case T::relay: {
            auto subs = parse_suboptions(d);
            return subs ? subs_json(*subs, relay_suboption_name) : nlohmann::ordered_json(hex);
        }
        case T::ipxe: {
            auto subs = parse_suboptions(d);
            return subs ? subs_json(*subs, ipxe_suboption_name) : nlohmann::ordered_json(hex);
        }
        case T::arch: {
            if (d.empty() || d.size() % 2) return hex;
            auto a = nlohmann::ordered_json::array();
            for (size_t i = 0; i < d.size(); i += 2) {
                uint16_t v = static_cast<uint16_t>(be(d, i, 2));
                a.push_back({{"code", v}, {"name", arch_name(v)}});
            }
            return a;
        }
        case T::nii:
            if (d.size() == 3) return {{"type", d[0]}, {"major", d[1]}, {"minor", d[2]}};
            return hex;
        case T::uuid: {
            auto u = client_uuid(d);
            if (!u) return hex;
            nlohmann::ordered_json j{{"type", u->type}, {"guid", u->guid()}};
            if (auto pi = pi_identity(d)) {
                j["pi"] = {{"fourcc", text_of(pi->fourcc)},
                           {"revision", fmt::format("{:06x}", pi->revision)},
                           {"mac_tail", mac_str(pi->mac_tail)},
                           {"serial", fmt::format("{:08x}", pi->serial)}};
            }
            return j;
        }
    }
    return hex;
}

nlohmann::ordered_json packet_to_json(const Packet& p) {
    nlohmann::ordered_json j;
    j["op"] = p.op == 1 ? "BOOTREQUEST" : "BOOTREPLY";
    j["htype"] = p.htype;
    j["hlen"] = p.hlen;
    j["hops"] = p.hops;
    j["xid"] = fmt::format("0x{:08x}", p.xid);
    j["secs"] = p.secs;
    j["flags"] = fmt::format("0x{:04x}", p.flags);
    j["ciaddr"] = ip_str(p.ciaddr);
    j["yiaddr"] = ip_str(p.yiaddr);
    j["siaddr"] = ip_str(p.siaddr);
    j["giaddr"] = ip_str(p.giaddr);
    j["chaddr"] = mac_str(std::span<const uint8_t>(p.chaddr.data(), std::min<size_t>(p.hlen, 16)));
    j["sname"] = text_of(p.sname);
    j["file"] = text_of(p.file);
    if (p.overloaded) j["overload"] = p.overloaded;
    auto vc = p.get_string(opt::vendor_class);
    bool pxe = vc && (vc->rfind("PXEClient", 0) == 0 || vc->rfind("HTTPClient", 0) == 0);
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (const auto& opt : p.options()) {
        const OptionDef* def = find_option(opt.code);
        std::string key = def ? std::string(def->name) : fmt::format("option-{}", opt.code);
        o[key] = option_to_json(opt.code, opt.data, pxe);
    }
    j["options"] = o;
    return j;
}

Bytes encode_option_text(const OptionDef& def, std::string_view text) {
    auto bad = [&]() {
        return usage_error(fmt::format("option {} ({}): cannot encode {}", def.name, def.code, mb::quoted(text)));
    };
    Bytes out;
    auto push = [&out](uint32_t v, int n) {
        for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    };
    switch (def.type) {
        case T::ip:
        case T::ips:
            for (const auto& part : split(text, ',', true)) {
                auto ip = parse_ip(part);
                if (!ip) throw bad();
                push(*ip, 4);
            }
            if (out.empty() || (def.type == T::ip && out.size() != 4)) throw bad();
            return out;
        case T::u8:
        case T::flag:
        case T::u16:
        case T::u32:
        case T::i32:
        case T::message_type: {
            int n = def.type == T::u16 ? 2 : (def.type == T::u32 || def.type == T::i32) ? 4 : 1;
            auto v = parse_uint(trim(text), n == 4 ? 0xffffffffull : n == 2 ? 0xffff : 0xff);
            if (!v) throw bad();
            push(static_cast<uint32_t>(*v), n);
            return out;
        }
        case T::u8s:
        case T::u16s:
        case T::arch:
            for (const auto& part : split(text, ',', true)) {
                auto v = parse_uint(trim(part), def.type == T::u8s ? 0xff : 0xffff);
                if (!v) throw bad();
                push(static_cast<uint32_t>(*v), def.type == T::u8s ? 1 : 2);
            }
            return out;
        case T::string: return Bytes(text.begin(), text.end());
        case T::user_class: return encode_user_class(split(text, ',', true));
        default: {
            auto hex = parse_hex(text);
            if (!hex) throw bad();
            return *hex;
        }
    }
}

}  // namespace mb::dhcp
