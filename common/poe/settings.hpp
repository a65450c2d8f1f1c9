#pragma once
// The `poe:` section of metal-boot.yaml: global cycle timing and the switches (or relays, PDUs,
// VM hosts) that power devices. Parsed with file:line errors; secrets may come from files.
//
//   poe:
//     cycle_delay_ms: 5000
//     cycle_timeout_ms: 60000
//     switches:
//       rack1: {driver: snmp, address: "10.0.0.2:161", version: 2c, community: private}
//       usw:   {driver: unifi, url: "https://10.0.0.1", site: default, api_key_file: /etc/mb/unifi.key,
//               device: "f4:e2:c6:50:60:bb", ca_file: /etc/mb/unifi-ca.pem}
//       vms:   {driver: command, command: "/usr/lib/metal-boot/qemu-power {action} {mac}"}
#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace YAML {
class Node;
}

namespace mb::poe {

struct SnmpSettings {
    std::string address;           // host[:port], "udp:" / "udp6:" prefixes allowed
    std::string version = "2c";    // 1, 2c or 3
    std::string community = "private";        // write community (v1/v2c)
    std::string read_community;    // read community; empty = community
    std::string user;              // v3 securityName
    std::string level = "authPriv";  // noAuthNoPriv | authNoPriv | authPriv
    std::string auth_protocol = "SHA";  // MD5 | SHA | SHA-256 | SHA-512
    std::string auth_password;
    std::string priv_protocol = "AES";  // DES | AES
    std::string priv_password;
    int timeout_ms = 1000;
    int retries = 1;
};

struct UnifiSettings {
    std::string url;                 // https://controller[:port]
    std::string site = "default";
    std::string api_key;             // UniFi OS API key (X-API-Key); exclusive with username/password
    std::string username;
    std::string password;
    std::string device;              // MAC of the switch this entry drives
    std::string style = "auto";      // auto | unifi-os | legacy (API path prefix and login URL)
    std::string ca_file;             // CA bundle to verify the controller with
    bool insecure = false;           // skip TLS verification (explicit opt-in only)
    int timeout_ms = 10000;
    int max_retries = 3;             // on 429
};

struct CommandSettings {
    // Command line with {action} {switch} {port} {mac} placeholders, run by /bin/sh -c with each
    // substituted value shell-quoted. Per-action overrides win over `command`.
    std::string command;
    std::map<std::string, std::string> actions;  // on/off/cycle/status → command line
    int timeout_ms = 30000;
};

struct SwitchSettings {
    std::string name;
    std::string driver;  // snmp | unifi | command
    SnmpSettings snmp;
    UnifiSettings unifi;
    CommandSettings command;
    std::optional<int> cycle_delay_ms;  // per-switch override
};

struct PoeSettings {
    int cycle_delay_ms = 5000;
    int cycle_timeout_ms = 60000;
    int poll_ms = 500;
    std::map<std::string, SwitchSettings> switches;

    const SwitchSettings& get(const std::string& name) const;  // throws kExitConfig naming the switch
};

// Parses the `poe:` node; `source` names the file in errors. An undefined node yields defaults.
PoeSettings parse_poe_settings(const YAML::Node& node, const std::string& source);

}  // namespace mb::poe
