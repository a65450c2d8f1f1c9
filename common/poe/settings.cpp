#include "poe/settings.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::poe {

namespace {

std::string where(const std::string& source, const YAML::Node& n) {
    auto m = n.Mark();
    if (m.line < 0) return source;
    return fmt::format("{}:{}", source, m.line + 1);
}

class Reader {
public:
    Reader(const YAML::Node& node, std::string source, std::string path)
        : node_(node), source_(std::move(source)), path_(std::move(path)) {
        if (node_ && !node_.IsMap())
            throw config_error(fmt::format("{}: {} must be a mapping", where(source_, node_), path_));
    }
    ~Reader() = default;

    template <class T>
    void get(const char* key, T& out) {
        seen_.insert(key);
        if (!node_) return;
        auto v = node_[key];
        if (!v || v.IsNull()) return;
        try {
            out = v.template as<T>();
        } catch (const YAML::Exception&) {
            throw config_error(fmt::format("{}: {}.{} has the wrong type", where(source_, v), path_, key));
        }
    }
    void secret(const char* key, const char* file_key, std::string& out) {
        get(key, out);
        std::string file;
        get(file_key, file);
        if (file.empty()) return;
        if (!out.empty())
            throw config_error(fmt::format("{}: {}: set either {} or {}, not both", where(source_, node_), path_, key,
                                           file_key));
        std::ifstream in(file);
        if (!in) throw config_error(fmt::format("{}: {}.{}: cannot read {}", where(source_, node_), path_, file_key, file));
        std::stringstream ss;
        ss << in.rdbuf();
        out = std::string(trim(ss.str()));
    }
    void done() {
        if (!node_) return;
        std::vector<std::string> known(seen_.begin(), seen_.end());
        for (auto it = node_.begin(); it != node_.end(); ++it) {
            auto key = it->first.as<std::string>();
            if (seen_.count(key)) continue;
            auto hint = closest_match(key, known);
            throw config_error(fmt::format("{}: unknown key {}.{}{}", where(source_, it->first), path_, key,
                                           hint ? fmt::format(" (did you mean {}?)", *hint) : ""));
        }
    }
    const YAML::Node& node() const { return node_; }

private:
    YAML::Node node_;
    std::string source_;
    std::string path_;
    std::set<std::string> seen_;
};

void check_one_of(const std::string& source, const YAML::Node& n, const std::string& path, const std::string& value,
                  std::initializer_list<const char*> allowed) {
    for (const char* a : allowed)
        if (iequals(value, a)) return;
    std::vector<std::string> names(allowed.begin(), allowed.end());
    throw config_error(fmt::format("{}: {} = {} is not one of {}", where(source, n), path, mb::quoted(value),
                                   join(names, ", ")));
}

}  // namespace

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

PoeSettings parse_poe_settings(const YAML::Node& node, const std::string& source) {
    PoeSettings s;
    Reader r(node, source, "poe");
    r.get("cycle_delay_ms", s.cycle_delay_ms);
    r.get("cycle_timeout_ms", s.cycle_timeout_ms);
    r.get("poll_ms", s.poll_ms);
    YAML::Node sw;
    if (node && node.IsMap()) sw = node["switches"];
    r.get("switches", sw);
    r.done();
    if (s.cycle_delay_ms < 0 || s.cycle_timeout_ms < 0 || s.poll_ms < 10)
        throw config_error(fmt::format("{}: poe timing values must be >= 0 (poll_ms >= 10)", where(source, node)));
    if (!sw || sw.IsNull()) return s;
    if (!sw.IsMap()) throw config_error(fmt::format("{}: poe.switches must be a mapping", where(source, sw)));
    for (auto it = sw.begin(); it != sw.end(); ++it) {
        SwitchSettings x;
        x.name = it->first.as<std::string>();
        std::string path = "poe.switches." + x.name;
        Reader e(it->second, source, path);
        e.get("driver", x.driver);
        int delay = -1;
        e.get("cycle_delay_ms", delay);
        if (delay >= 0) x.cycle_delay_ms = delay;
        if (x.driver == "snmp") {
            auto& n = x.snmp;
            e.get("address", n.address);
            e.get("version", n.version);
            e.secret("community", "community_file", n.community);
            e.get("read_community", n.read_community);
            e.get("user", n.user);
            e.get("level", n.level);
            e.get("auth_protocol", n.auth_protocol);
            e.secret("auth_password", "auth_password_file", n.auth_password);
            e.get("priv_protocol", n.priv_protocol);
            e.secret("priv_password", "priv_password_file", n.priv_password);
            e.get("timeout_ms", n.timeout_ms);
            e.get("retries", n.retries);
            e.done();
            if (n.address.empty()) throw config_error(fmt::format("{}: {}.address is required", where(source, it->second), path));
            check_one_of(source, it->second, path + ".version", n.version, {"1", "2c", "3"});
            if (n.version == "3") {
                if (n.user.empty()) throw config_error(fmt::format("{}: {}.user is required for SNMPv3", where(source, it->second), path));
                check_one_of(source, it->second, path + ".level", n.level, {"noAuthNoPriv", "authNoPriv", "authPriv"});
                check_one_of(source, it->second, path + ".auth_protocol", n.auth_protocol, {"MD5", "SHA", "SHA-256", "SHA-512"});
                check_one_of(source, it->second, path + ".priv_protocol", n.priv_protocol, {"DES", "AES"});
                if (!iequals(n.level, "noAuthNoPriv") && n.auth_password.size() < 8)
                    throw config_error(fmt::format("{}: {}.auth_password must have at least 8 characters", where(source, it->second), path));
                if (iequals(n.level, "authPriv") && n.priv_password.size() < 8)
                    throw config_error(fmt::format("{}: {}.priv_password must have at least 8 characters", where(source, it->second), path));
            }
        } else if (x.driver == "unifi") {
            auto& u = x.unifi;
            e.get("url", u.url);
            e.get("site", u.site);
            e.secret("api_key", "api_key_file", u.api_key);
            e.get("username", u.username);
            e.secret("password", "password_file", u.password);
            e.get("device", u.device);
            e.get("style", u.style);
            e.get("ca_file", u.ca_file);
            e.get("insecure", u.insecure);
            e.get("timeout_ms", u.timeout_ms);
            e.get("max_retries", u.max_retries);
            e.done();
            if (u.url.empty()) throw config_error(fmt::format("{}: {}.url is required", where(source, it->second), path));
            if (u.device.empty()) throw config_error(fmt::format("{}: {}.device (the switch MAC) is required", where(source, it->second), path));
            if (u.api_key.empty() == u.username.empty())
                throw config_error(fmt::format("{}: {}: set exactly one of api_key or username/password", where(source, it->second), path));
            check_one_of(source, it->second, path + ".style", u.style, {"auto", "unifi-os", "legacy"});
        } else if (x.driver == "command") {
            auto& c = x.command;
            e.get("command", c.command);
            e.get("timeout_ms", c.timeout_ms);
            for (const char* a : {"on", "off", "cycle", "status"}) {
                std::string v;
                e.get(a, v);
                if (!v.empty()) c.actions[a] = v;
            }
            e.done();
            if (c.command.empty() && (!c.actions.count("on") || !c.actions.count("off") || !c.actions.count("status")))
                throw config_error(fmt::format("{}: {} needs command, or on, off and status", where(source, it->second), path));
        } else {
            throw config_error(fmt::format("{}: {}.driver = {} is not one of snmp, unifi, command", where(source, it->second), path, mb::quoted(x.driver)));
        }
        e.done();
        s.switches.emplace(x.name, std::move(x));
    }
    return s;
}

}  // namespace mb::poe
