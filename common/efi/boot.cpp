#include "efi/boot.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/bytes.hpp"
#include "efi/guid.hpp"

namespace mb::efi {

namespace {

std::vector<uint16_t> u16_array(const Variables& vars, std::u16string_view name) {
    std::vector<uint16_t> out;
    if (const Variable* v = vars.find(guids::kGlobal, name)) {
        for (size_t i = 0; i + 1 < v->data.size(); i += 2) out.push_back(le16(v->data.data() + i));
    }
    return out;
}

void set_u16_array(Variables& vars, std::u16string_view name, const std::vector<uint16_t>& values) {
    std::vector<uint8_t> data;
    for (uint16_t x : values) append16(data, x);
    Variable* v = vars.find(guids::kGlobal, name);
    if (v) {
        v->data = std::move(data);
    } else {
        vars.set(Variable{guids::kGlobal, std::u16string(name), kAttrNvBsRt, std::move(data), {}, 0, 0});
    }
}

}  // namespace

std::u16string boot_var_name(uint16_t number) {
    const std::string s = fmt::format("Boot{:04X}", number);
    return std::u16string(s.begin(), s.end());
}

std::optional<uint16_t> parse_boot_var_name(std::u16string_view name) {
    if (name.size() != 8 || name.substr(0, 4) != u"Boot") return std::nullopt;
    uint16_t n = 0;
    for (char16_t c : name.substr(4)) {
        int d;
        if (c >= u'0' && c <= u'9') {
            d = c - u'0';
        } else if (c >= u'A' && c <= u'F') {
            d = c - u'A' + 10;
        } else {
            return std::nullopt;
        }
        n = static_cast<uint16_t>(n << 4 | d);
    }
    return n;
}

std::optional<uint16_t> parse_boot_number(std::string_view text) {
    text = trim(text);
    if (starts_with_icase(text, "Boot")) text.remove_prefix(4);
    if (starts_with_icase(text, "0x")) text.remove_prefix(2);
    if (text.empty() || text.size() > 4) return std::nullopt;
    uint32_t n = 0;
    for (char c : text) {
        const auto v = parse_hex(std::string("0") + c);
        if (!v) return std::nullopt;
        n = n << 4 | (*v)[0];
    }
    return static_cast<uint16_t>(n);
}

std::vector<BootEntry> boot_entries(const Variables& vars) {
    std::vector<BootEntry> out;
    for (const auto& v : vars) {
        if (v.guid != guids::kGlobal) continue;
        auto n = parse_boot_var_name(v.name);
        if (!n) continue;
        BootEntry e;
        e.number = *n;
        e.attr = v.attr;
        try {
            e.option = LoadOption::decode(v.data);
        } catch (const mb::Error& err) {
            e.error = err.what();
        }
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const BootEntry& a, const BootEntry& b) { return a.number < b.number; });
    return out;
}

std::vector<uint16_t> boot_order(const Variables& vars) {
    return u16_array(vars, u"BootOrder");
}

std::optional<uint16_t> boot_next(const Variables& vars) {
    const Variable* v = vars.find(guids::kGlobal, u"BootNext");
    if (!v || v->data.size() != 2) return std::nullopt;
    return le16(v->data.data());
}

std::optional<uint16_t> boot_timeout(const Variables& vars) {
    const Variable* v = vars.find(guids::kGlobal, u"Timeout");
    if (!v || v->data.size() != 2) return std::nullopt;
    return le16(v->data.data());
}

void set_boot_order(Variables& vars, const std::vector<uint16_t>& order) {
    set_u16_array(vars, u"BootOrder", order);
}

void set_boot_next(Variables& vars, std::optional<uint16_t> number) {
    if (!number) {
        vars.erase(guids::kGlobal, u"BootNext");
        return;
    }
    set_u16_array(vars, u"BootNext", {*number});
}

void set_boot_entry(Variables& vars, uint16_t number, const LoadOption& option) {
    const auto name = boot_var_name(number);
    if (Variable* v = vars.find(guids::kGlobal, name)) {
        v->data = option.encode();
    } else {
        vars.set(Variable{guids::kGlobal, name, kAttrNvBsRt, option.encode(), {}, 0, 0});
    }
}

bool remove_boot_entry(Variables& vars, uint16_t number) {
    const bool existed = vars.erase(guids::kGlobal, boot_var_name(number));
    auto order = boot_order(vars);
    if (std::erase(order, number)) set_boot_order(vars, order);
    if (boot_next(vars) == number) set_boot_next(vars, std::nullopt);
    return existed;
}

void set_boot_active(Variables& vars, uint16_t number, bool active) {
    Variable* v = vars.find(guids::kGlobal, boot_var_name(number));
    if (!v) throw data_error(fmt::format("Boot{:04X} does not exist", number));
    LoadOption o = LoadOption::decode(v->data);
    o.attributes = active ? (o.attributes | kLoadOptionActive) : (o.attributes & ~kLoadOptionActive);
    v->data = o.encode();
}

uint16_t free_boot_number(const Variables& vars) {
    for (uint32_t n = 0; n <= 0xFFFF; ++n) {
        if (!vars.find(guids::kGlobal, boot_var_name(static_cast<uint16_t>(n)))) return static_cast<uint16_t>(n);
    }
    throw data_error("no free Boot#### number");
}

void boot_first(Variables& vars, uint16_t number) {
    auto order = boot_order(vars);
    std::erase(order, number);
    order.insert(order.begin(), number);
    set_boot_order(vars, order);
}

std::string netboot_title(NetbootKind kind, std::span<const uint8_t, 6> mac) {
    static constexpr const char* kNames[] = {"PXEv4", "PXEv6", "HTTPv4", "HTTPv6"};
    return fmt::format("UEFI {} (MAC:{})", kNames[static_cast<int>(kind)], to_upper(to_hex(mac)));
}

DevicePath netboot_path(NetbootKind kind, std::span<const uint8_t, 6> mac) {
    std::vector<DevicePathNode> nodes{DevicePath::mac_node(mac)};
    const bool v6 = kind == NetbootKind::PxeV6 || kind == NetbootKind::HttpV6;
    nodes.push_back(v6 ? DevicePath::ipv6_node() : DevicePath::ipv4_dhcp_node());
    if (kind == NetbootKind::HttpV4 || kind == NetbootKind::HttpV6) nodes.push_back(DevicePath::uri_node(""));
    return DevicePath(std::move(nodes));
}

std::optional<uint16_t> find_netboot_entry(const Variables& vars, NetbootKind kind, std::span<const uint8_t, 6> mac) {
    const DevicePath want = netboot_path(kind, mac);
    for (const auto& e : boot_entries(vars)) {
        if (!e.option || e.option->paths.empty()) continue;
        // Compare node types and the MAC; address fields of the IP node may carry a prefix length.
        const auto& got = e.option->paths[0].nodes();
        if (got.size() != want.nodes().size()) continue;
        bool same = true;
        for (size_t i = 0; i < got.size() && same; ++i) {
            same = got[i].type == want.nodes()[i].type && got[i].subtype == want.nodes()[i].subtype;
        }
        if (same && got[0].data.size() >= 6 && std::equal(mac.begin(), mac.end(), got[0].data.begin())) return e.number;
    }
    return std::nullopt;
}

uint16_t ensure_netboot_entry(Variables& vars, NetbootKind kind, std::span<const uint8_t, 6> mac) {
    if (auto n = find_netboot_entry(vars, kind, mac)) return *n;
    LoadOption o;
    o.attributes = kLoadOptionActive;
    const std::string title = netboot_title(kind, mac);
    o.description.assign(title.begin(), title.end());
    o.paths.push_back(netboot_path(kind, mac));
    const uint16_t n = free_boot_number(vars);
    set_boot_entry(vars, n, o);
    auto order = boot_order(vars);
    if (std::find(order.begin(), order.end(), n) == order.end()) {
        order.push_back(n);
        set_boot_order(vars, order);
    }
    return n;
}

}  // namespace mb::efi
