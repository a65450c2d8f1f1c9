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
    bool ping_check = true;
    uint32_t ping_timeout_ms = 500;
    std::string ipxe_user_class = "iPXE";
    std::string http_boot_path = "/ipxe";
    std::string ipxe_script_path = "/boot/{mac}.ipxe";
    std::string bios_boot_file = "undionly.kpxe";
    std::string x64_boot_file = "ipxe.efi";
    std::string arm64_boot_file = "snp.efi";
    bool ipxe_no_pxedhcp = true;
    bool learn = true;

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
        v.field("ping_check", ping_check,
                "ICMP-probe an address before offering it to a client that does not hold it yet (full mode); an "
                "address that answers is skipped for 10 minutes.");
        v.field("ping_timeout_ms", ping_timeout_ms, "How long to wait for the probe's echo reply before offering.",
                Range{10, 5000});
        v.field("ipxe_user_class", ipxe_user_class,
                "User class (option 77) that marks a request from our own iPXE build (besides 'iPXE').");
        v.field("http_boot_path", http_boot_path,
                "URL path under the mb-http base URL of the iPXE binaries offered to UEFI HTTP boot clients.");
        v.field("ipxe_script_path", ipxe_script_path,
                "URL path of the iPXE script offered to iPXE clients; {mac} is replaced by the dashed MAC.");
        v.field("bios_boot_file", bios_boot_file, "Boot file for x86 BIOS PXE clients (option 93 = 0..5).");
        v.field("x64_boot_file", x64_boot_file, "Boot file for x64 UEFI PXE and HTTP boot clients.");
        v.field("arm64_boot_file", arm64_boot_file, "Boot file for arm64 UEFI PXE and HTTP boot clients.");
        v.field("ipxe_no_pxedhcp", ipxe_no_pxedhcp,
                "Full mode: send iPXE option 175 no-pxedhcp so it does not wait for ProxyDHCP offers.");
        v.field("learn", learn,
                "Record what is seen per MAC (arch, client type, Pi serial, first/last seen) in state/dhcp/devices/.");
    }
};

}  // namespace mb::config
