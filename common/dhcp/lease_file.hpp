#pragma once
// dnsmasq's lease file (src/lease.c): "<expiry> <mac> <ip> <hostname|*> <client-id|*>" per IPv4
// lease, expiry 0 = infinite, MAC prefixed "<hwtype>-" unless Ethernet; then optional "duid ..."
// and IPv6 / extra lines, which are kept verbatim. Pure parse/format; the daemon writes atomically.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dhcp/packet.hpp"

namespace mb::dhcp {

struct Lease {
    int64_t expiry = 0;  // epoch seconds, 0 = infinite
    uint8_t hwtype = 1;
    Bytes hwaddr;  // normally 6 bytes
    Ipv4 ip = 0;
    std::string hostname;  // "" = '*'
    Bytes client_id;       // empty = '*'
    bool infinite() const { return expiry == 0; }
};

struct LeaseFile {
    std::vector<Lease> leases;
    std::vector<std::string> other_lines;  // "duid ...", IPv6 leases, vendorclass/agent-info extras
};

// Unparseable lines are skipped and described in `warnings` ("line 3: ..."), like dnsmasq.
LeaseFile parse_lease_file(std::string_view text, std::vector<std::string>* warnings = nullptr);
std::string format_lease_file(const LeaseFile& file);
std::string format_lease_line(const Lease& lease);
std::string hwaddr_str(const Lease& lease);  // "dc:a6:32:01:ab:cd" or "20-aa:bb..."

// Declined addresses (RFC 2131 DECLINE), persisted beside the leases: "<until-epoch> <ip>" lines.
struct Declined {
    Ipv4 ip = 0;
    int64_t until = 0;
};
std::vector<Declined> parse_declined(std::string_view text);
std::string format_declined(const std::vector<Declined>& list);

}  // namespace mb::dhcp
