#include "dhcp/ping.hpp"

namespace mb::dhcp {

namespace {
constexpr uint8_t kEchoReply = 0;
constexpr uint8_t kEchoRequest = 8;
constexpr uint8_t kPayload[] = {'m', 'b', '-', 'd', 'h', 'c', 'p', ' ', 'p', 'r', 'o', 'b', 'e', 0, 0, 0};
}  // namespace

uint16_t inet_checksum(std::span<const uint8_t> data) {
    uint32_t sum = 0;
    size_t i = 0;
    for (; i + 1 < data.size(); i += 2) sum += uint32_t{data[i]} << 8 | data[i + 1];
    if (i < data.size()) sum += uint32_t{data[i]} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> build_echo_request(uint16_t id, uint16_t seq) {
    std::vector<uint8_t> p(8 + sizeof kPayload, 0);
    p[0] = kEchoRequest;
    p[4] = static_cast<uint8_t>(id >> 8);
    p[5] = static_cast<uint8_t>(id);
    p[6] = static_cast<uint8_t>(seq >> 8);
    p[7] = static_cast<uint8_t>(seq);
    for (size_t i = 0; i < sizeof kPayload; ++i) p[8 + i] = kPayload[i];
    const uint16_t c = inet_checksum(p);
    p[2] = static_cast<uint8_t>(c >> 8);
    p[3] = static_cast<uint8_t>(c);
    return p;
}

std::optional<EchoReply> parse_echo_reply(std::span<const uint8_t> data, bool with_ip_header) {
    if (with_ip_header) {
        if (data.size() < 20 || (data[0] >> 4) != 4) return std::nullopt;
        const size_t ihl = size_t{data[0] & 0x0fu} * 4;
        if (ihl < 20 || data.size() < ihl || data[9] != 1 /* ICMP */) return std::nullopt;
        data = data.subspan(ihl);
    }
    if (data.size() < 8 || data[0] != kEchoReply || data[1] != 0) return std::nullopt;
    return EchoReply{static_cast<uint16_t>(data[4] << 8 | data[5]), static_cast<uint16_t>(data[6] << 8 | data[7])};
}

}  // namespace mb::dhcp
