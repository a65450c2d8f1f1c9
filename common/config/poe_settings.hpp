#pragma once
// metal-boot.yaml: `poe:` section (mb-poe, mb-redfish).
#include <cstdint>
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace mb::config {

struct SnmpSettings {
    std::string version = "2c";
    std::string community = "private";
    std::string read_community;
    uint32_t group = 1;
    std::string user;
    std::string auth_protocol = "SHA";
    std::string auth_password;
    std::string priv_protocol = "AES";
    std::string priv_password;
    std::string level = "authPriv";
    uint32_t timeout_ms = 1000;
    uint32_t retries = 1;

    template <class V>
    void visit(V& v) {
        v.field("version", version, "SNMP version.", OneOf{{"1", "2c", "3"}});
        v.field("community", community, "Write community (v1/v2c).");
        v.field("read_community", read_community, "Read community (default: community).");
        v.field("group", group, "pethPsePortGroupIndex of the ports.", Range{1, 1024});
        v.field("user", user, "SNMPv3 user.");
        v.field("level", level, "SNMPv3 security level.", OneOf{{"noAuthNoPriv", "authNoPriv", "authPriv"}});
        v.field("auth_protocol", auth_protocol, "SNMPv3 authentication protocol.",
                OneOf{{"MD5", "SHA", "SHA-256", "SHA-512"}});
        v.field("auth_password", auth_password, "SNMPv3 authentication password.");
        v.field("priv_protocol", priv_protocol, "SNMPv3 privacy protocol.", OneOf{{"DES", "AES"}});
        v.field("priv_password", priv_password, "SNMPv3 privacy password.");
        v.field("timeout_ms", timeout_ms, "Time to wait for each SNMP answer, in milliseconds.", Range{10, 60000});
        v.field("retries", retries, "SNMP retransmissions before the switch counts as unreachable.", Range{0, 10});
    }
};

struct UnifiSettings {
    std::string url;
    std::string site = "default";
    std::string api_key;
    std::string username;
    std::string password;
    std::string ca_file;
    std::string device_mac;
    std::string style = "auto";
    bool insecure = false;
    uint32_t timeout_ms = 10000;
    uint32_t max_retries = 3;

    template <class V>
    void visit(V& v) {
        v.field("url", url, "Controller base URL, e.g. https://10.0.0.1.", TextFormat{Format::url});
        v.field("site", site, "Site name.");
        v.field("api_key", api_key, "API key (UniFi OS); wins over username/password.");
        v.field("username", username, "Controller user.");
        v.field("password", password, "Controller password.");
        v.field("ca_file", ca_file, "CA certificate to verify the controller (PEM).", TextFormat{Format::path});
        v.field("device_mac", device_mac, "MAC of the switch on the controller.", TextFormat{Format::mac});
        v.field("style", style, "API style: auto (probe), unifi-os (/proxy/network, /api/auth/login) or legacy.",
                OneOf{{"auto", "unifi-os", "legacy"}});
        v.field("insecure", insecure, "Skip TLS verification of the controller (prefer ca_file).");
        v.field("timeout_ms", timeout_ms, "Timeout of each controller request, in milliseconds.", Range{100, 600000});
        v.field("max_retries", max_retries, "Retries of a rate-limited (429) request, honouring Retry-After.",
                Range{0, 20});
    }
};

struct CommandSettings {
    std::string on;
    std::string off;
    std::string cycle;
    std::string status;
    uint32_t timeout_ms = 30000;

    template <class V>
    void visit(V& v) {
        v.field("on", on, "Command run to power a port on ({switch} {port} {mac} are substituted).");
        v.field("off", off, "Command run to power a port off.");
        v.field("cycle", cycle, "Command run to power-cycle a port (default: off, delay, on).");
        v.field("status", status,
                "Command printing on|off (or JSON {\"power\":...}) for a port; with no output, exit 0 = on, 1 = off.");
        v.field("timeout_ms", timeout_ms, "Time a command may run, in milliseconds.", Range{100, 3600000});
    }
};

struct PoeSwitch {
    std::string name;
    std::string driver = "snmp";
    std::string address;
    uint32_t ports = 52;
    SnmpSettings snmp;
    UnifiSettings unifi;
    CommandSettings command;

    template <class V>
    void visit(V& v) {
        v.field("name", name, "Switch name referenced by devices' power.switch.");
        v.field("driver", driver, "Power driver.", OneOf{{"snmp", "unifi", "command"}});
        v.field("address", address, "Switch address (SNMP agent host[:port]).");
        v.field("ports", ports, "Number of ports (device power.port must not exceed it).", Range{1, 1024});
        v.field("snmp", snmp, "SNMP (RFC 3621 POWER-ETHERNET-MIB) settings.");
        v.field("unifi", unifi, "UniFi Network controller settings.");
        v.field("command", command, "Commands for the command driver.");
    }
};

struct PoeSettings {
    std::vector<PoeSwitch> switches;
    uint32_t cycle_delay_ms = 5000;
    uint32_t settle_timeout_ms = 30000;
    uint32_t poll_ms = 500;

    template <class V>
    void visit(V& v) {
        v.field("switches", switches, "PoE switches and their drivers.");
        v.field("cycle_delay_ms", cycle_delay_ms, "Off time during a power cycle, in milliseconds.", Range{0, 600000});
        v.field("settle_timeout_ms", settle_timeout_ms, "How long to wait for a port to deliver power after on.",
                Range{0, 600000});
        v.field("poll_ms", poll_ms, "Interval between port status reads while waiting for power.", Range{10, 60000});
    }
};

}  // namespace mb::config
