#include "dhcp/reply.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "dhcp/option_defs.hpp"

namespace mb::dhcp {

BootFileFamily boot_family(uint16_t arch) {
    if (arch <= 5) return BootFileFamily::bios;
    switch (arch) {
        case 6:
        case 7:
        case 8:
        case 9:
        case 15:
        case 16: return BootFileFamily::x64;
        case 10:
        case 11:
        case 18:
        case 19:
        case 41: return BootFileFamily::arm64;
        default: return BootFileFamily::none;
    }
}

namespace {

std::string family_file(BootFileFamily f, const BootSettings& s) {
    switch (f) {
        case BootFileFamily::bios: return s.bios_boot_file;
        case BootFileFamily::x64: return s.x64_boot_file;
        case BootFileFamily::arm64: return s.arm64_boot_file;
        case BootFileFamily::none: return "";
    }
    return "";
}

std::string dashed_mac(const Packet& p) {
    const auto m = p.mac();
    return fmt::format("{:02x}-{:02x}-{:02x}-{:02x}-{:02x}-{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

std::string base_url(const BootSettings& s) {
    std::string url = s.http_base_url;
    if (auto pos = url.find("{server}"); pos != std::string::npos) url.replace(pos, 8, ip_str(s.server_id));
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

std::string trim_slash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

void put_boot_file(Packet& reply, const std::string& target, bool also_option67) {
    if (target.size() <= 127) reply.file = target;
    if (also_option67 || target.size() > 127) reply.set_string(opt::bootfile, target);
}

}  // namespace

std::string boot_target(const Packet& request, const Classification& c, const DeviceChoices& device,
                        const BootSettings& s) {
    if (!device.allow_pxe) return "";
    std::optional<uint16_t> arch = device.arch_override ? device.arch_override : c.arch;
    switch (c.cls) {
        case ClientClass::ipxe: {
            if (!device.ipxe_script_url.empty()) return device.ipxe_script_url;
            if (s.http_base_url.empty()) return "";
            std::string path = s.ipxe_script_path;
            if (auto pos = path.find("{mac}"); pos != std::string::npos) path.replace(pos, 5, dashed_mac(request));
            return base_url(s) + path;
        }
        case ClientClass::http_boot: {
            if (s.http_base_url.empty() || !arch) return "";
            std::string file = family_file(boot_family(*arch), s);
            if (file.empty()) return "";
            return base_url(s) + trim_slash(s.http_boot_path) + "/" + file;
        }
        case ClientClass::pxe:
            if (!device.boot_file.empty()) return device.boot_file;
            if (!arch) return "";
            return family_file(boot_family(*arch), s);
        case ClientClass::pi_bootloader:
        case ClientClass::plain: return "";
    }
    return "";
}

Bytes pi_vendor_options(std::string_view menu_text) {
    const size_t n = std::min<size_t>(menu_text.size(), 250);
    Bytes menu{0x00, 0x00, static_cast<uint8_t>(n)};
    menu.insert(menu.end(), menu_text.begin(), menu_text.begin() + n);
    return encode_suboptions({SubOption{6, {0x03}}, SubOption{10, {0x00, 'P', 'X', 'E'}}, SubOption{9, menu}});
}

Bytes pxe_vendor_options() {
    return encode_suboptions({SubOption{6, {0x08}}});
}

size_t max_reply_size(const Packet& request) {
    if (auto v = request.get_u16(opt::max_size)) return std::max<size_t>(*v, kMinMessageSize);
    return kMinMessageSize;
}

std::optional<Packet> build_reply(const ReplyRequest& r) {
    const Packet& q = r.request;
    const BootSettings& s = r.settings;
    const Ipv4 tftp = s.tftp_server ? s.tftp_server : s.server_id;
    const bool full = r.mode == ServerMode::full && r.lease;
    const bool boot_allowed = r.device.allow_pxe;
    const ClientClass cls = boot_allowed ? r.cls.cls : ClientClass::plain;
    const std::string target = boot_target(q, r.cls, r.device, s);
    const bool boots = cls == ClientClass::pi_bootloader || !target.empty();
    if (!full && !boots) return std::nullopt;

    Packet p;
    p.op = 2;
    p.htype = q.htype;
    p.hlen = q.hlen;
    p.hops = q.hops;
    p.xid = q.xid;
    p.flags = q.flags;
    p.giaddr = q.giaddr;
    p.chaddr = q.chaddr;
    if (r.inform) p.ciaddr = q.ciaddr;
    p.set_u8(opt::message_type, static_cast<uint8_t>(r.type));
    p.set_ip(opt::server_id, s.server_id);
    if (full) {
        if (!r.inform) {
            p.yiaddr = r.lease->address;
            const uint32_t t = r.lease->lease_seconds;
            p.set_u32(opt::lease_time, t);
            if (t != 0xffffffffu) {
                p.set_u32(opt::renewal_time, t / 2);
                p.set_u32(opt::rebinding_time, static_cast<uint32_t>(uint64_t{t} * 7 / 8));
            }
        }
        if (r.lease->subnet_mask) p.set_ip(opt::subnet_mask, r.lease->subnet_mask);
        if (r.lease->broadcast) p.set_ip(opt::broadcast, r.lease->broadcast);
        if (!r.lease->routers.empty()) p.set_ips(opt::router, r.lease->routers);
        if (!r.lease->dns.empty()) p.set_ips(opt::dns, r.lease->dns);
        if (!r.lease->domain.empty()) p.set_string(opt::domain_name, r.lease->domain);
        if (!r.device.hostname.empty()) p.set_string(opt::hostname, r.device.hostname);
    }

    switch (cls) {
        case ClientClass::pi_bootloader:
            p.siaddr = tftp;
            p.set_string(opt::vendor_class, "PXEClient");
            if (const Bytes* o97 = q.get(opt::client_uuid)) p.set(opt::client_uuid, *o97);
            p.set(opt::vendor_specific, pi_vendor_options(s.pi_menu_text));
            if (full) p.set_string(opt::tftp_server, ip_str(tftp));
            break;
        case ClientClass::pxe:
            if (target.empty()) break;
            p.siaddr = tftp;
            p.set_string(opt::vendor_class, "PXEClient");
            if (const Bytes* o97 = q.get(opt::client_uuid)) p.set(opt::client_uuid, *o97);
            p.set(opt::vendor_specific, pxe_vendor_options());
            put_boot_file(p, target, false);
            break;
        case ClientClass::http_boot:
            if (target.empty()) break;
            p.set_string(opt::vendor_class, "HTTPClient");
            put_boot_file(p, target, true);
            break;
        case ClientClass::ipxe:
            if (target.empty()) break;
            p.siaddr = tftp;
            put_boot_file(p, target, false);
            if (full && s.ipxe_no_pxedhcp) p.set(opt::ipxe_encap, Bytes{0xb0, 0x01, 0x01});
            break;
        case ClientClass::plain: break;
    }
    return p;
}

Packet build_nak(const Packet& q, Ipv4 server_id, std::string_view message) {
    Packet p;
    p.op = 2;
    p.htype = q.htype;
    p.hlen = q.hlen;
    p.hops = q.hops;
    p.xid = q.xid;
    p.giaddr = q.giaddr;
    p.chaddr = q.chaddr;
    // RFC 2131 §4.1: a NAK through a relay asks the relay to broadcast it.
    p.flags = q.giaddr ? static_cast<uint16_t>(q.flags | 0x8000) : q.flags;
    p.set_u8(opt::message_type, static_cast<uint8_t>(MessageType::nak));
    p.set_ip(opt::server_id, server_id);
    if (!message.empty()) p.set_string(opt::message, message);
    return p;
}

}  // namespace mb::dhcp
