#include "dhcp/addressing.hpp"

#include <fmt/format.h>

namespace mb::dhcp {

std::string Destination::describe() const {
    switch (kind) {
        case Kind::relay: return fmt::format("relay {}:{}", ip_str(ip), port);
        case Kind::unicast: return fmt::format("unicast {}:{}", ip_str(ip), port);
        case Kind::broadcast: return fmt::format("broadcast 255.255.255.255:{}", port);
        case Kind::link_layer:
            return fmt::format("unicast {}:{} via {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", ip_str(ip), port, mac[0],
                               mac[1], mac[2], mac[3], mac[4], mac[5]);
    }
    return "";
}

Destination reply_destination(const Packet& q, const Packet& reply, bool from_pxe_port, Ipv4 src, uint16_t sport) {
    Destination d;
    const bool nak = reply.message_type() == MessageType::nak;
    if (from_pxe_port && src != 0) {
        d.kind = Destination::Kind::unicast;
        d.ip = src;
        d.port = sport;
        return d;
    }
    if (q.giaddr != 0) {
        d.kind = Destination::Kind::relay;
        d.ip = q.giaddr;
        d.port = 67;
        return d;
    }
    if (nak) return d;  // broadcast
    if (q.ciaddr != 0) {
        d.kind = Destination::Kind::unicast;
        d.ip = q.ciaddr;
        return d;
    }
    if (q.broadcast_flag() || reply.yiaddr == 0 || q.htype != 1 || q.hlen != 6) return d;
    d.kind = Destination::Kind::link_layer;
    d.ip = reply.yiaddr;
    d.mac = q.mac();
    return d;
}

}  // namespace mb::dhcp
