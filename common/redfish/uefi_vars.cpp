#include "redfish/uefi_vars.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/guid.hpp"

namespace mb::redfish::uefi {

namespace {

using efi::DevicePath;
using efi::DevicePathNode;

constexpr uint8_t kMsg = efi::node_type::kMessaging;
constexpr uint8_t kSubMac = 0x0B, kSubIpv6 = 0x0D, kSubUri = 0x18;

// gEfiNetworkDeviceListGuid: `_NDL`, the NICs the network stack found (multi-instance path).
const efi::Guid kNetworkDeviceList = *efi::Guid::parse("e622443c-284e-4b47-a984-fd66b482dac0");
// The RPi "UiApp" option: Fv(ui fv)/FvFile(UiApp), attributes 0x109 (ACTIVE | HIDDEN | APP).
const std::vector<uint8_t> kUiAppPath =
    *parse_hex("0407140037aa159a55d54e4ab54186391ff681640406140021aa2c4614760345836e8ab6f46623317fff0400");
const std::vector<uint8_t> kUiAppFile = *parse_hex("21aa2c4614760345836e8ab6f4662331");

bool is(const DevicePathNode& n, uint8_t type, uint8_t sub) {
    return n.type == type && n.subtype == sub;
}

bool mac_matches(const DevicePathNode& n, const device::Mac& mac) {
    return is(n, kMsg, kSubMac) && n.data.size() >= 6 &&
           std::equal(mac.bytes().begin(), mac.bytes().end(), n.data.begin());
}

// Index of the MAC() node of `mac` in nodes, if any.
std::optional<size_t> mac_index(const std::vector<DevicePathNode>& nodes, const device::Mac& mac) {
    for (size_t i = 0; i < nodes.size(); ++i)
        if (mac_matches(nodes[i], mac)) return i;
    return std::nullopt;
}

const DevicePath* boot_path(const efi::BootEntry& e) {
    if (!e.option || e.option->paths.empty()) return nullptr;
    return &e.option->paths[0];
}

bool has_node(const DevicePath& p, uint8_t type, uint8_t sub) {
    return std::any_of(p.nodes().begin(), p.nodes().end(), [&](const DevicePathNode& n) { return is(n, type, sub); });
}

// A number free everywhere BDS looks: no Boot#### variable, not in BootOrder, not BootNext.
uint16_t unused_number(const efi::Variables& view) {
    const auto order = efi::boot_order(view);
    const auto next = efi::boot_next(view);
    for (uint32_t n = 0; n <= 0xFFFF; ++n) {
        auto num = static_cast<uint16_t>(n);
        if (view.find(efi::guids::kGlobal, efi::boot_var_name(num))) continue;
        if (std::find(order.begin(), order.end(), num) != order.end() || next == num) continue;
        return num;
    }
    throw data_error("no free Boot#### number");
}

}  // namespace

const char* target_name(Target t) {
    switch (t) {
        case Target::pxe: return "Pxe";
        case Target::hdd: return "Hdd";
        case Target::uefi_http: return "UefiHttp";
        case Target::bios_setup: return "BiosSetup";
        case Target::cd: return "Cd";
        case Target::none: break;
    }
    return "None";
}

std::optional<Target> parse_target(std::string_view n) {
    for (auto t : {Target::none, Target::pxe, Target::hdd, Target::uefi_http, Target::bios_setup, Target::cd})
        if (n == target_name(t)) return t;
    return std::nullopt;
}

efi::Variables merged(const efi::Variables& base, const efi::Variables& device) {
    efi::Variables view = base;
    for (const auto& v : device) view.set(v);
    return view;
}

std::optional<Target> classify(const efi::LoadOption& option) {
    if (option.paths.empty()) return std::nullopt;
    const auto& p = option.paths[0];
    bool mac = false, uri = false, disk = false, uiapp = false;
    for (const auto& n : p.nodes()) {
        if (is(n, kMsg, kSubMac)) mac = true;
        if (is(n, kMsg, kSubUri)) uri = true;
        // SD/eMMC, USB, SATA, NVMe, SCSI, HD(), or a vendor hardware (controller) node before any MAC.
        if ((n.type == kMsg && (n.subtype == 0x1a || n.subtype == 0x1d || n.subtype == 0x05 || n.subtype == 0x12 ||
                                n.subtype == 0x17 || n.subtype == 0x02)) ||
            is(n, efi::node_type::kMedia, 0x01) || (is(n, efi::node_type::kHardware, 0x04) && !mac))
            disk = true;
        if (is(n, efi::node_type::kMedia, 0x06) && n.data == kUiAppFile) uiapp = true;
    }
    if (uiapp) return Target::bios_setup;
    if (mac && uri && option.title() == kVirtualCdTitle) return Target::cd;
    if (mac && uri) return Target::uefi_http;
    // RPi UEFI names HTTP boot options "UEFI HTTPv4 (MAC:...)" even when the Uri node is implied.
    if (mac && option.title().find("HTTP") != std::string::npos) return Target::uefi_http;
    if (mac) return Target::pxe;
    if (disk) return Target::hdd;
    return std::nullopt;
}

std::vector<DevicePathNode> nic_path(const efi::Variables& view, const device::Mac& mac) {
    for (const auto& e : efi::boot_entries(view)) {
        const auto* p = boot_path(e);
        if (!p) continue;
        if (auto i = mac_index(p->nodes(), mac))
            return {p->nodes().begin(), p->nodes().begin() + static_cast<long>(*i) + 1};
    }
    if (const auto* ndl = view.find(kNetworkDeviceList, u"_NDL")) {
        try {
            auto path = DevicePath::decode(ndl->data);
            std::vector<DevicePathNode> instance;
            for (const auto& n : path.nodes()) {
                if (n.is_end_instance()) {
                    instance.clear();
                    continue;
                }
                instance.push_back(n);
                if (mac_matches(n, mac)) return instance;
            }
        } catch (const Error&) {
            // A malformed _NDL is the firmware's business; fall back to the Pi's own form.
        }
    }
    // A fleet shares one base image and one hardware model: another NIC's network option (the
    // machine the base was saved on) tells where the NIC sits, e.g. PciRoot(0x0)/Pci(0x1,0x0) on
    // QEMU's virtio-net; on a Pi 4 that prefix is empty.
    for (const auto& e : efi::boot_entries(view)) {
        const auto* p = boot_path(e);
        if (!p) continue;
        for (size_t i = 0; i < p->nodes().size(); ++i) {
            if (!is(p->nodes()[i], kMsg, kSubMac)) continue;
            std::vector<DevicePathNode> nodes(p->nodes().begin(), p->nodes().begin() + static_cast<long>(i));
            nodes.push_back(
                DevicePath::mac_node(mac.bytes(), p->nodes()[i].data.size() > 32 ? p->nodes()[i].data[32] : 1));
            return nodes;
        }
    }
    return {DevicePath::mac_node(mac.bytes())};
}

efi::DevicePath netboot_path(const efi::Variables& view, const device::Mac& mac, Target t, std::string_view uri) {
    auto nodes = nic_path(view, mac);
    nodes.push_back(DevicePath::ipv4_dhcp_node());
    // UefiHttp: an empty Uri(), the URL comes from DHCP; Cd: the image's URL
    if (t == Target::uefi_http || t == Target::cd) nodes.push_back(DevicePath::uri_node(uri));
    return DevicePath(std::move(nodes));
}

std::optional<uint16_t> entry_for(efi::Variables& device, const efi::Variables& base, Target t,
                                  const device::Mac& mac) {
    const auto view = merged(base, device);
    const auto entries = efi::boot_entries(view);
    const auto order = efi::boot_order(view);
    const bool network = t == Target::pxe || t == Target::uefi_http;
    auto rank = [&](const efi::BootEntry& e) {
        int r = 0;
        auto it = std::find(order.begin(), order.end(), e.number);
        r += it == order.end() ? 1000 : static_cast<int>(it - order.begin());
        if (!e.option->active()) r += 10000;
        if (has_node(*boot_path(e), kMsg, kSubIpv6)) r += 100000;  // IPv6 after IPv4
        return r;
    };
    const efi::BootEntry* best = nullptr;
    for (const auto& e : entries) {
        const auto* p = boot_path(e);
        if (!p || classify(*e.option) != t) continue;
        // A network option boots through one NIC: only this device's (a base image saved on
        // another Pi carries that Pi's MAC-keyed options).
        if (network && !mac_index(p->nodes(), mac)) continue;
        if (!best || rank(e) < rank(*best)) best = &e;
    }
    if (best) return best->number;
    if (t == Target::hdd || t == Target::none || t == Target::cd) return std::nullopt;  // cd: virtual_cd_entry

    efi::LoadOption o;
    std::string title;
    if (t == Target::bios_setup) {
        o.attributes = 0x109;
        title = "UiApp";
        o.paths.push_back(DevicePath::decode(kUiAppPath));
    } else {
        o.attributes = efi::kLoadOptionActive;
        title = efi::netboot_title(t == Target::uefi_http ? efi::NetbootKind::HttpV4 : efi::NetbootKind::PxeV4,
                                   mac.bytes());
        o.paths.push_back(netboot_path(view, mac, t));
    }
    o.description.assign(title.begin(), title.end());
    auto num = unused_number(view);
    efi::set_boot_entry(device, num, o);
    return num;
}

bool is_virtual_cd_entry(const efi::Variables& view, uint16_t number) {
    for (const auto& e : efi::boot_entries(view))
        if (e.number == number) return e.option && classify(*e.option) == Target::cd;
    return false;
}

uint16_t virtual_cd_entry(efi::Variables& device, const efi::Variables& base, const device::Mac& mac,
                          const std::string& image, std::optional<uint16_t> previous) {
    const auto view = merged(base, device);
    efi::LoadOption o;
    o.attributes = efi::kLoadOptionActive;
    o.description.assign(kVirtualCdTitle.begin(), kVirtualCdTitle.end());
    o.paths.push_back(netboot_path(view, mac, Target::cd, image));
    uint16_t num;
    if (previous &&
        (is_virtual_cd_entry(view, *previous) || !view.find(efi::guids::kGlobal, efi::boot_var_name(*previous))))
        num = *previous;
    else
        num = unused_number(view);
    efi::set_boot_entry(device, num, o);
    return num;
}

std::vector<const efi::SettingDef*> bios_settings() {
    std::vector<const efi::SettingDef*> out;
    for (const auto& d : efi::rpi_settings())
        if (!d.read_only) out.push_back(&d);
    return out;
}

nlohmann::json attributes(const efi::Variables& view) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto* d : bios_settings()) {
        nlohmann::json v;
        try {
            v = efi::get_setting(view, *d);
        } catch (const Error&) {
            // wrong size in the store: the firmware ignores it and uses its default
        }
        if (v.is_null())
            v = d->type == efi::SettingType::Ucs2String ? nlohmann::json("") : nlohmann::json(d->default_value);
        out[std::string(d->name)] = v;
    }
    return out;
}

}  // namespace mb::redfish::uefi
