#pragma once
// Boot logs sent by devices over UDP (Linux netconsole, extended netconsole, RFC 3164/5424
// syslog) and the dnsmasq lease file that maps a sender's IP to its MAC. Pure: datagrams and
// file text in, log lines out.
#include <ctime>
#include <map>
#include <string>
#include <string_view>

#include "device/mac.hpp"

namespace mb::bootlog {

// dnsmasq lease lines "<expiry> <mac> <ip> <hostname> <client-id>" → ip → MAC (later lines win;
// malformed lines are skipped).
std::map<std::string, device::Mac> parse_leases(std::string_view text);

// Turns one datagram into log lines "<RFC 3339 time> <message>\n": strips a syslog "<PRI>" (and
// the RFC 5424 version), the extended-netconsole "level,seq,ts,flags;" prefix, trailing
// CR/LF; replaces other control characters by '?'; splits several lines; drops empty ones.
std::string format_datagram(std::string_view datagram, std::time_t now);

}  // namespace mb::bootlog
