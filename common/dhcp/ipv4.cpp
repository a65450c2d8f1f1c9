#include "dhcp/ipv4.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::dhcp {

std::string ip_str(Ipv4 ip) {
    return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

std::optional<Ipv4> parse_ip(std::string_view text) {
    auto parts = split(trim(text), '.');
    if (parts.size() != 4) return std::nullopt;
    Ipv4 ip = 0;
    for (const auto& p : parts) {
        if (p.empty() || p.size() > 3) return std::nullopt;
        for (char c : p)
            if (c < '0' || c > '9') return std::nullopt;
        unsigned v = static_cast<unsigned>(std::stoul(p));
        if (v > 255) return std::nullopt;
        ip = ip << 8 | v;
    }
    return ip;
}

Ipv4 parse_ip_or_throw(std::string_view text, std::string_view what) {
    auto ip = parse_ip(text);
    if (!ip) throw usage_error(fmt::format("{}: {} is not an IPv4 address", what, mb::quoted(text)));
    return *ip;
}

Ipv4 prefix_mask(unsigned prefix) {
    return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~0u << (32 - prefix);
}

}  // namespace mb::dhcp
