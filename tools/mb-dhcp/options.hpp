#pragma once
// mb-dhcp's settings: the `dhcp:` keys of metal-boot.yaml as command-line flags (the config loader
// will fill the same struct), turned into the pure modules' configs.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "dhcp/lease_engine.hpp"
#include "dhcp/service.hpp"

namespace mb::dhcp_tool {

struct Globals {
    std::string root;  // the config tree root
    bool json = false;
    std::string root_dir() const { return root; }
};

struct Options {
    std::string mode = "proxy";
    std::vector<std::string> interfaces;
    uint16_t port = 67;
    uint16_t client_port = 68;
    bool proxy_4011 = false;
    uint16_t pxe_port = 4011;
    uint32_t lease_time = 3600;
    std::string lease_file;                    // default <root>/state/dhcp/dnsmasq.leases
    std::vector<std::string> pools;            // "10.99.0.0/16,10.99.0.10,10.99.0.200[,gateway]"
    std::vector<config::DhcpPool> yaml_pools;  // dhcp.pools of metal-boot.yaml
    std::vector<std::string> dns;
    std::string domain;
    std::vector<std::string> reservations;  // "dc:a6:32:01:02:03=10.99.0.5[,hostname]"
    std::vector<std::string> pi_ouis;       // empty = built-in list
    std::string pi_menu_text = "Raspberry Pi Boot";
    std::vector<std::string> ipxe_user_classes;
    std::string tftp_server;
    std::string http_base_url;
    std::string http_boot_path = "/ipxe";
    std::string ipxe_script_path = "/boot/{mac}.ipxe";
    std::string bios_boot_file = "undionly.kpxe";
    std::string x64_boot_file = "ipxe.efi";
    std::string arm64_boot_file = "snp.efi";
    bool no_pxedhcp = true;
    std::string capture;  // serve --capture
    bool learn = true;
    bool ping_check = true;  // full mode: ICMP-probe fresh addresses before offering
    uint32_t ping_timeout_ms = 500;
    std::string server_address;  // replay: the address we pretend to own

    void add_flags(CLI::App& app, bool serving);
    // metal-boot.yaml (`dhcp:`, `server:`, `http:`) for every setting whose flag was not given on
    // `cmd`'s command line: flags win over the file.
    void apply_settings(const config::Snapshot& snapshot, const CLI::App& cmd);
    dhcp::ServiceConfig service_config() const;
    dhcp::EngineConfig engine_config() const;
    std::string lease_path(const Globals& g) const;
    std::string declined_path(const Globals& g) const;
    bool full() const { return mode == "full"; }
};

}  // namespace mb::dhcp_tool
