#pragma once
// metal-boot.yaml: `dhcp:` section (mb-dhcp).
#include <cstdint>
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace mb::config {

struct DhcpPool {
    std::string subnet;
    std::string range_start;
    std::string range_end;
    std::string gateway;
    std::vector<std::string> dns;
    std::string domain;
    uint32_t lease_time = 0;

    template <class V>
    void visit(V& v) {
        v.field("subnet", subnet, "The pool's network, e.g. 10.0.0.0/24 (also selects relayed requests by giaddr).",
                TextFormat{Format::ipv4_cidr});
        v.field("range_start", range_start, "First dynamically assigned address.", TextFormat{Format::ipv4});
        v.field("range_end", range_end, "Last dynamically assigned address.", TextFormat{Format::ipv4});
        v.field("gateway", gateway, "Router (option 3).", TextFormat{Format::ipv4});
        v.field("dns", dns, "DNS servers (option 6).", TextFormat{Format::ipv4});
        v.field("domain", domain, "Domain name (option 15).");
        v.field("lease_time", lease_time, "Lease time in seconds; 0 = dhcp.lease_time.", Range{0, 31536000});
    }
};

struct DhcpSettings {
    bool enabled = true;
    std::string mode = "proxy";
    std::vector<std::string> interfaces;
    uint16_t port = 67;
    bool proxy_4011 = false;
    uint32_t lease_time = 3600;
    std::string lease_file = "state/dhcp/dnsmasq.leases";
    std::vector<DhcpPool> pools;
    std::vector<std::string> pi_ouis = {"b8:27:eb", "dc:a6:32", "e4:5f:01", "28:cd:c1", "d8:3a:dd", "2c:cf:67"};
    std::string pi_menu_text = "Raspberry Pi Boot";
    bool ping_check = false;
    std::string ipxe_user_class = "iPXE";

    template <class V>
    void visit(V& v) {
        v.field("enabled", enabled, "Run the DHCP service.");
        v.field("mode", mode,
                "proxy: answer only network-boot clients next to an existing DHCP server; full: also hand out "
                "addresses from pools and reservations.",
                OneOf{{"proxy", "full"}});
        v.field("interfaces", interfaces, "Interfaces to serve (empty: server.interfaces, else all).");
        v.field("port", port, "UDP server port.", Range{1, 65535});
        v.field("proxy_4011", proxy_4011, "Also answer PXE BINL requests on UDP port 4011.");
        v.field("lease_time", lease_time, "Default lease time in seconds (full mode).", Range{60, 31536000});
        v.field("lease_file", lease_file, "Lease file in dnsmasq format (relative to the root).",
                TextFormat{Format::path});
        v.field("pools", pools, "Address pools (full mode).");
        v.field("pi_ouis", pi_ouis, "MAC prefixes (OUIs) that identify Raspberry Pi boards.");
        v.field("pi_menu_text", pi_menu_text, "PXE menu text the Pi bootloader matches (its PXE_OPTION43).");
        v.field("ping_check", ping_check, "ICMP-probe an address before offering it (full mode).");
        v.field("ipxe_user_class", ipxe_user_class,
                "User class (option 77) that marks a request from our own iPXE build (besides 'iPXE').");
    }
};

}  // namespace mb::config
