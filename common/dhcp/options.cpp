#include "dhcp/options.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mb::dhcp {

UserClass parse_user_class(std::span<const uint8_t> data) {
    UserClass uc;
    size_t i = 0;
    bool ok = !data.empty();
    while (ok && i < data.size()) {
        size_t len = data[i];
        if (len == 0 || i + 1 + len > data.size()) {
            ok = false;
            break;
        }
        uc.items.emplace_back(reinterpret_cast<const char*>(data.data() + i + 1), len);
        i += 1 + len;
    }
    if (!ok) {
        uc.items = {std::string(reinterpret_cast<const char*>(data.data()), data.size())};
        uc.raw = true;
    }
    return uc;
}

Bytes encode_user_class(const std::vector<std::string>& items) {
    Bytes out;
    for (const auto& s : items) {
        out.push_back(static_cast<uint8_t>(std::min<size_t>(s.size(), 255)));
        out.insert(out.end(), s.begin(), s.begin() + std::min<size_t>(s.size(), 255));
    }
    return out;
}

std::optional<std::vector<SubOption>> parse_suboptions(std::span<const uint8_t> data) {
    std::vector<SubOption> subs;
    size_t i = 0;
    while (i < data.size()) {
        uint8_t code = data[i];
        if (code == 0) {
            ++i;
            continue;
        }
        if (code == 255) break;
        if (i + 1 >= data.size()) return std::nullopt;
        size_t len = data[i + 1];
        if (i + 2 + len > data.size()) return std::nullopt;
        subs.push_back(SubOption{code, Bytes(data.begin() + i + 2, data.begin() + i + 2 + len)});
        i += 2 + len;
    }
    return subs;
}

Bytes encode_suboptions(const std::vector<SubOption>& subs, bool with_end) {
    Bytes out;
    for (const auto& s : subs) {
        out.push_back(s.code);
        out.push_back(static_cast<uint8_t>(s.data.size()));
        out.insert(out.end(), s.data.begin(), s.data.end());
    }
    if (with_end) out.push_back(255);
    return out;
}

std::optional<uint16_t> client_arch(const Packet& p) {
    const Bytes* b = p.get(opt::client_arch);
    if (!b || b->size() < 2 || b->size() % 2) return std::nullopt;
    return static_cast<uint16_t>((*b)[0] << 8 | (*b)[1]);
}

std::string_view arch_name(uint16_t arch) {
    switch (arch) {
        case 0x00: return "x86 BIOS";
        case 0x01: return "NEC/PC98";
        case 0x02: return "Itanium";
        case 0x03: return "DEC Alpha";
        case 0x04: return "Arc x86";
        case 0x05: return "Intel Lean Client";
        case 0x06: return "x86 UEFI";
        case 0x07: return "x64 UEFI";
        case 0x08: return "Xscale UEFI";
        case 0x09: return "EBC";
        case 0x0a: return "ARM32 UEFI";
        case 0x0b: return "ARM64 UEFI";
        case 0x0f: return "x86 UEFI HTTP";
        case 0x10: return "x64 UEFI HTTP";
        case 0x11: return "EBC HTTP";
        case 0x12: return "ARM32 UEFI HTTP";
        case 0x13: return "ARM64 UEFI HTTP";
        case 0x14: return "x86 BIOS HTTP";
        case 0x15: return "ARM32 U-Boot";
        case 0x16: return "ARM64 U-Boot";
        case 0x17: return "ARM32 U-Boot HTTP";
        case 0x18: return "ARM64 U-Boot HTTP";
        case 0x19: return "RISC-V 32 UEFI";
        case 0x1b: return "RISC-V 64 UEFI";
        case 0x1d: return "RISC-V 128 UEFI";
        case 0x29: return "arm rpiboot";
        default: return "unknown";
    }
}

std::optional<ClientNii> client_nii(const Packet& p) {
    const Bytes* b = p.get(opt::client_nii);
    if (!b || b->size() != 3) return std::nullopt;
    return ClientNii{(*b)[0], (*b)[1], (*b)[2]};
}

std::string ClientUuid::guid() const {
    // EDK2 and iPXE send the SMBIOS UUID as an EFI_GUID: the first three fields little-endian.
    const auto& b = bytes;
    return fmt::format(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", b[3],
        b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

std::optional<ClientUuid> client_uuid(std::span<const uint8_t> data) {
    if (data.size() != 17) return std::nullopt;
    ClientUuid u;
    u.type = data[0];
    std::copy_n(data.begin() + 1, 16, u.bytes.begin());
    return u;
}

std::optional<PiIdentity> pi_identity(std::span<const uint8_t> d) {
    if (d.size() != 17 || d[0] != 0 || d[1] != 'R' || d[2] != 'P' || d[3] != 'i' || (d[4] != '4' && d[4] != '5'))
        return std::nullopt;
    PiIdentity pi;
    pi.fourcc = std::string(reinterpret_cast<const char*>(d.data() + 1), 4);
    pi.revision = uint32_t{d[5]} | uint32_t{d[6]} << 8 | uint32_t{d[7]} << 16 | uint32_t{d[8]} << 24;
    std::copy_n(d.begin() + 9, 4, pi.mac_tail.begin());
    pi.serial = uint32_t{d[13]} | uint32_t{d[14]} << 8 | uint32_t{d[15]} << 16 | uint32_t{d[16]} << 24;
    return pi;
}

std::string relay_suboption_name(uint8_t code) {
    switch (code) {
        case 1: return "circuit-id";
        case 2: return "remote-id";
        case 4: return "docsis-device-class";
        case 5: return "link-selection";
        case 6: return "subscriber-id";
        case 9: return "vendor-specific";
        case 11: return "server-id-override";
        case 12: return "relay-id";
        case 151: return "vss";
        default: return fmt::format("{}", code);
    }
}

std::string pxe_suboption_name(uint8_t code) {
    switch (code) {
        case 1: return "mtftp-ip";
        case 2: return "mtftp-client-port";
        case 3: return "mtftp-server-port";
        case 4: return "mtftp-timeout";
        case 5: return "mtftp-delay";
        case 6: return "discovery-control";
        case 7: return "discovery-mcast-addr";
        case 8: return "boot-servers";
        case 9: return "boot-menu";
        case 10: return "menu-prompt";
        case 11: return "mcast-addrs-alloc";
        case 12: return "credential-types";
        case 71: return "boot-item";
        default: return fmt::format("{}", code);
    }
}

std::string ipxe_suboption_name(uint8_t code) {
    switch (code) {
        case 1: return "priority";
        case 8: return "keep-san";
        case 9: return "skip-san-boot";
        case 0x10: return "pxeext";
        case 0x11: return "iscsi";
        case 0x12: return "aoe";
        case 0x13: return "http";
        case 0x14: return "https";
        case 0x15: return "tftp";
        case 0x16: return "ftp";
        case 0x17: return "dns";
        case 0x18: return "bzimage";
        case 0x19: return "multiboot";
        case 0x1a: return "slam";
        case 0x1b: return "srp";
        case 0x1c: return "nbi";
        case 0x1d: return "pxe";
        case 0x1e: return "elf";
        case 0x1f: return "comboot";
        case 0x20: return "efi";
        case 0x21: return "fcoe";
        case 0x22: return "vlan";
        case 0x23: return "menu";
        case 0x24: return "sdi";
        case 0x25: return "nfs";
        case 0xb0: return "no-pxedhcp";
        case 0xb1: return "bus-id";
        case 0xbd: return "bios-drive";
        case 0xbe: return "username";
        case 0xbf: return "password";
        case 0xeb: return "version";
        default: return fmt::format("{}", code);
    }
}

}  // namespace mb::dhcp
