#pragma once
// IPv4 addresses as host-order uint32_t, the form every DHCP decision works with.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mb::dhcp {

using Ipv4 = uint32_t;  // host byte order; 0 = unset (0.0.0.0)

std::string ip_str(Ipv4 ip);  // "10.0.0.1"
std::optional<Ipv4> parse_ip(std::string_view text);
// Like parse_ip, but throws mb::Error (usage) naming `what` and the text.
Ipv4 parse_ip_or_throw(std::string_view text, std::string_view what);
// The network mask of a prefix length 0..32.
Ipv4 prefix_mask(unsigned prefix);

}  // namespace mb::dhcp
