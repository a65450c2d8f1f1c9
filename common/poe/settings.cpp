#include "poe/settings.hpp"

#include <fmt/format.h>

#include <vector>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::poe {

const SwitchSettings& PoeSettings::get(const std::string& name) const {
    auto it = switches.find(name);
    if (it != switches.end()) return it->second;
    std::vector<std::string> names;
    for (auto& [k, _] : switches) names.push_back(k);
    auto hint = closest_match(name, names);
    throw config_error(fmt::format("no switch {} in poe.switches{}{}", mb::quoted(name),
                                   names.empty() ? " (none configured)" : "",
                                   hint ? fmt::format(" (did you mean {}?)", *hint) : ""));
}

SwitchSettings from_config(const config::PoeSwitch& c) {
    SwitchSettings s;
    s.name = c.name;
    s.driver = c.driver;
    auto& n = s.snmp;
    n.address = c.address;
    n.group = c.snmp.group;
    n.version = c.snmp.version;
    n.community = c.snmp.community;
    n.read_community = c.snmp.read_community;
    n.user = c.snmp.user;
    n.level = c.snmp.level;
    n.auth_protocol = c.snmp.auth_protocol;
    n.auth_password = c.snmp.auth_password;
    n.priv_protocol = c.snmp.priv_protocol;
    n.priv_password = c.snmp.priv_password;
    n.timeout_ms = static_cast<int>(c.snmp.timeout_ms);
    n.retries = static_cast<int>(c.snmp.retries);
    auto& u = s.unifi;
    u.url = c.unifi.url;
    u.site = c.unifi.site;
    u.api_key = c.unifi.api_key;
    u.username = c.unifi.username;
    u.password = c.unifi.password;
    u.device = c.unifi.device_mac;
    u.style = c.unifi.style;
    u.ca_file = c.unifi.ca_file;
    u.insecure = c.unifi.insecure;
    u.timeout_ms = static_cast<int>(c.unifi.timeout_ms);
    u.max_retries = static_cast<int>(c.unifi.max_retries);
    if (!c.command.on.empty()) s.command.actions["on"] = c.command.on;
    if (!c.command.off.empty()) s.command.actions["off"] = c.command.off;
    if (!c.command.cycle.empty()) s.command.actions["cycle"] = c.command.cycle;
    if (!c.command.status.empty()) s.command.actions["status"] = c.command.status;
    s.command.timeout_ms = static_cast<int>(c.command.timeout_ms);
    auto where = "poe.switches." + c.name;
    if (s.driver == "snmp") {
        if (n.address.empty()) throw config_error(where + ".address: required by the snmp driver");
        if (n.version == "3") {
            if (n.user.empty()) throw config_error(where + ".snmp.user: required for SNMPv3");
            if (!iequals(n.level, "noAuthNoPriv") && n.auth_password.size() < 8)
                throw config_error(where + ".snmp.auth_password: at least 8 characters");
            if (iequals(n.level, "authPriv") && n.priv_password.size() < 8)
                throw config_error(where + ".snmp.priv_password: at least 8 characters");
        }
    } else if (s.driver == "unifi") {
        if (u.device.empty()) throw config_error(where + ".unifi.device_mac: required by the unifi driver");
        if (u.api_key.empty() && u.username.empty())
            throw config_error(where + ".unifi: api_key or username/password required");
        if (!u.api_key.empty()) {
            u.username.clear();  // an API key wins; never log in as well
            u.password.clear();
        }
    } else if (s.driver == "command") {
        if (!s.command.actions.count("on") || !s.command.actions.count("off"))
            throw config_error(where + ".command: on and off are required");
    }
    return s;
}

PoeSettings from_config(const config::PoeSettings& c) {
    PoeSettings s;
    s.cycle_delay_ms = static_cast<int>(c.cycle_delay_ms);
    s.cycle_timeout_ms = static_cast<int>(c.settle_timeout_ms);
    s.poll_ms = static_cast<int>(c.poll_ms);
    for (auto& sw : c.switches) s.switches.emplace(sw.name, from_config(sw));
    return s;
}

}  // namespace mb::poe
