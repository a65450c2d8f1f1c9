#pragma once
// ICMP echo (RFC 792) for the address probe mb-dhcp sends before it OFFERs an address nobody holds
// yet (dhcp.ping_check): if something answers, the address is squatted. Pure bytes in, bytes out.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dhcp/ipv4.hpp"

namespace mb::dhcp {

// An echo request with identifier `id`, sequence `seq` and a short payload, checksum filled in.
std::vector<uint8_t> build_echo_request(uint16_t id, uint16_t seq);

struct EchoReply {
    uint16_t id = 0;
    uint16_t seq = 0;
};
// An echo reply as read from a raw IPPROTO_ICMP socket (`with_ip_header`: the IPv4 header comes
// first) or from a datagram ICMP socket (ICMP only). nullopt for anything else or if truncated.
std::optional<EchoReply> parse_echo_reply(std::span<const uint8_t> data, bool with_ip_header);

// The Internet checksum (RFC 1071) of `data`.
uint16_t inet_checksum(std::span<const uint8_t> data);

}  // namespace mb::dhcp
