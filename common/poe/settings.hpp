#pragma once
// The drivers' view of the `poe:` section of metal-boot.yaml (declared, parsed and documented in
// config/poe_settings.hpp): plain values with the defaults applied and secrets resolved.
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "config/poe_settings.hpp"

namespace mb::poe {
struct SnmpSettings {
    std::string address;           // host[:port], "udp:" / "udp6:" prefixes allowed
    uint32_t group = 1;            // pethPsePortGroupIndex when the port has none
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
    // Command lines with {action} {switch} {port} {mac} placeholders, run by /bin/sh -c with each
    // substituted value shell-quoted.
    std::map<std::string, std::string> actions;  // on/off/cycle/status → command line
    int timeout_ms = 30000;
};

struct SwitchSettings {
    std::string name;
    std::string driver;  // snmp | unifi | command
    SnmpSettings snmp;
    UnifiSettings unifi;
    CommandSettings command;
};

struct PoeSettings {
    int cycle_delay_ms = 5000;
    int cycle_timeout_ms = 60000;
    int poll_ms = 500;
    std::map<std::string, SwitchSettings> switches;

    const SwitchSettings& get(const std::string& name) const;  // throws kExitConfig naming the switch
};

SwitchSettings from_config(const config::PoeSwitch& s);
PoeSettings from_config(const config::PoeSettings& s);

}  // namespace mb::poe
