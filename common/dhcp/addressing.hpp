#pragma once
// Where a reply goes (RFC 2131 §4.1, dhcp.md §6), as a pure decision.
#include <array>
#include <cstdint>
#include <string>

#include "dhcp/packet.hpp"

namespace mb::dhcp {

struct Destination {
    enum class Kind {
        relay,       // giaddr:67
        unicast,     // ip:port via the routing table (ciaddr, or the 4011 requester)
        broadcast,   // 255.255.255.255:68, L2 broadcast
        link_layer,  // yiaddr:68 at L2 chaddr (client has no address yet): packet socket
    };
    Kind kind = Kind::broadcast;
    Ipv4 ip = 0xffffffffu;
    uint16_t port = 68;
    std::array<uint8_t, 6> mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    std::string describe() const;  // "relay 10.0.0.1:67"
};

// `request_src` / `request_port`: where the request came from (for the port 4011 responder,
// `from_pxe_port` = true, the reply goes back to exactly there).
Destination reply_destination(const Packet& request, const Packet& reply, bool from_pxe_port = false,
                              Ipv4 request_src = 0, uint16_t request_port = 0);

}  // namespace mb::dhcp
