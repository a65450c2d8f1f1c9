#pragma once
// A DHCPv4 / BOOTP message (RFC 2131, 2132): the fixed wire fields as members and the options as an
// ordered list keyed by code. unpack() and pack() are the only places that know the byte layout,
// including RFC 3396 (long options split over several instances, concatenated on read) and option
// overload (52: options continued in `file` and/or `sname`).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dhcp/ipv4.hpp"

namespace mb::dhcp {

using Bytes = std::vector<uint8_t>;

enum class MessageType : uint8_t {
    discover = 1,
    offer = 2,
    request = 3,
    decline = 4,
    ack = 5,
    nak = 6,
    release = 7,
    inform = 8,
};
std::string_view message_type_name(MessageType t);  // "DISCOVER"...

namespace opt {  // option codes used by name in the code
inline constexpr uint8_t pad = 0, subnet_mask = 1, router = 3, dns = 6, hostname = 12, domain_name = 15, broadcast = 28,
                         vendor_specific = 43, requested_ip = 50, lease_time = 51, overload = 52, message_type = 53,
                         server_id = 54, param_request = 55, message = 56, max_size = 57, renewal_time = 58,
                         rebinding_time = 59, vendor_class = 60, client_id = 61, tftp_server = 66, bootfile = 67,
                         user_class = 77, relay_agent = 82, client_arch = 93, client_nii = 94, client_uuid = 97,
                         ipxe_encap = 175, end = 255;
}

inline constexpr uint32_t kMagicCookie = 0x63825363;
inline constexpr size_t kFixedSize = 236;       // op .. file
inline constexpr size_t kMinMessageSize = 576;  // RFC 2131 default maximum without option 57
inline constexpr size_t kMinBootpSize = 300;    // BOOTP minimum; replies are zero-filled to this

struct Option {
    uint8_t code;
    Bytes data;
};

class Packet {
public:
    uint8_t op = 1;  // 1 BOOTREQUEST, 2 BOOTREPLY
    uint8_t htype = 1;
    uint8_t hlen = 6;
    uint8_t hops = 0;
    uint32_t xid = 0;
    uint16_t secs = 0;
    uint16_t flags = 0;  // bit 15: broadcast
    Ipv4 ciaddr = 0, yiaddr = 0, siaddr = 0, giaddr = 0;
    std::array<uint8_t, 16> chaddr{};
    std::string sname;  // up to 63 bytes, NUL-terminated on the wire
    std::string file;   // up to 127 bytes, NUL-terminated on the wire

    // Decodes a UDP payload. Throws mb::Error(kExitDataErr) naming the field and byte offset on a
    // truncated packet, wrong cookie, option lengths past the end or a malformed overload.
    static Packet unpack(std::span<const uint8_t> wire);
    // Encodes: options in insertion order except 53 first, END last, no PAD between options; an
    // option longer than 255 bytes is split (RFC 3396); zero-filled to 300 bytes. Throws
    // mb::Error(kExitDataErr) when the result would exceed `max_size`.
    Bytes pack(size_t max_size = 1500) const;

    bool broadcast_flag() const { return flags & 0x8000; }
    std::array<uint8_t, 6> mac() const;  // chaddr[0..5]

    // Options: at most one entry per code (instances are concatenated on unpack).
    const std::vector<Option>& options() const { return options_; }
    const Bytes* get(uint8_t code) const;
    bool has(uint8_t code) const { return get(code) != nullptr; }
    void set(uint8_t code, Bytes data);  // replaces in place, or appends
    void remove(uint8_t code);

    void set_u8(uint8_t code, uint8_t v) { set(code, Bytes{v}); }
    void set_u16(uint8_t code, uint16_t v);
    void set_u32(uint8_t code, uint32_t v);
    void set_ip(uint8_t code, Ipv4 ip) { set_u32(code, ip); }
    void set_ips(uint8_t code, const std::vector<Ipv4>& ips);
    void set_string(uint8_t code, std::string_view s) { set(code, Bytes(s.begin(), s.end())); }

    std::optional<uint8_t> get_u8(uint8_t code) const;
    std::optional<uint16_t> get_u16(uint8_t code) const;
    std::optional<uint32_t> get_u32(uint8_t code) const;
    std::optional<Ipv4> get_ip(uint8_t code) const { return get_u32(code); }
    std::optional<std::string> get_string(uint8_t code) const;
    std::optional<MessageType> message_type() const;

    // Whether option 52 was present when unpacked (sname/file then carried options).
    uint8_t overloaded = 0;

private:
    std::vector<Option> options_;
};

}  // namespace mb::dhcp
