// mb-poe: power a device's switch port on, off or through a cycle, read its state, and learn
// which port feeds which device. One-shot verbs; the drivers live in common/poe.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "log/log.hpp"
#include "poe/fleet.hpp"

namespace {

using mb::poe::Action;
using mb::poe::Fleet;
using mb::poe::PortRef;
using ojson = nlohmann::ordered_json;

struct Options {
    std::string root;
    bool json = false;
    std::string log_level = "info";
    std::string log_format = "text";
    std::string target;
    std::vector<std::string> switches;
    bool write = false;
    long delay_ms = -1;
    long timeout_ms = -1;
};

void setup_log(const Options& o) {
    mb::log::set_program("mb-poe");
    mb::log::set_level(mb::log::parse_level(o.log_level));
    mb::log::set_format(mb::log::parse_format(o.log_format));
}

ojson status_json(const PortRef& p, const mb::poe::PortStatus& st) {
    ojson j{{"switch", p.switch_name}, {"port", p.port}};
    if (!p.mac.empty()) j["mac"] = p.mac;
    j["power"] = std::string(mb::poe::to_string(st.power));
    if (st.admin_enabled) j["admin_enabled"] = *st.admin_enabled;
    if (!st.detail.empty()) j["detail"] = st.detail;
    if (st.watts) j["watts"] = *st.watts;
    return j;
}

void print(const Options& o, const ojson& j, const std::string& text) {
    if (o.json)
        std::cout << j.dump() << "\n";
    else
        std::cout << text << "\n";
}

int run_action(const Options& o, Action action) {
    setup_log(o);
    auto fleet = Fleet::load(o.root);
    auto port = fleet.resolve(o.target);
    auto driver = fleet.driver(port.switch_name);
    std::string where = fmt::format("{}:{}{}", port.switch_name, port.port, port.mac.empty() ? "" : " (" + port.mac + ")");
    switch (action) {
        case Action::on: driver->on(port); break;
        case Action::off: driver->off(port); break;
        case Action::cycle: {
            auto opts = fleet.cycle_options(port.switch_name);
            if (o.delay_ms >= 0) opts.off_delay = std::chrono::milliseconds(o.delay_ms);
            if (o.timeout_ms >= 0) opts.timeout = std::chrono::milliseconds(o.timeout_ms);
            driver->cycle(port, opts);
            break;
        }
        case Action::status: {
            auto st = driver->status(port);
            print(o, status_json(port, st),
                  fmt::format("{} {}{}{}", where, mb::poe::to_string(st.power), st.detail.empty() ? "" : " ", st.detail));
            return st.power == mb::poe::Power::fault ? mb::kExitUnavailable : 0;
        }
    }
    mb::log::info("{}: {} done", where, mb::poe::to_string(action));
    ojson j{{"switch", port.switch_name}, {"port", port.port}};
    if (!port.mac.empty()) j["mac"] = port.mac;
    j["action"] = std::string(mb::poe::to_string(action));
    j["result"] = "ok";
    print(o, j, fmt::format("{} {}: ok", where, mb::poe::to_string(action)));
    return 0;
}

int run_discover(const Options& o) {
    setup_log(o);
    auto fleet = Fleet::load(o.root);
    std::vector<std::string> names = o.switches;
    if (names.empty())
        for (auto& [name, _] : fleet.settings().switches) names.push_back(name);
    if (names.empty()) throw mb::config_error("no switches configured under poe.switches");
    int failures = 0;
    ojson all = ojson::array();
    for (auto& name : names) {
        try {
            for (auto& l : fleet.driver(name)->discover()) {
                ojson j{{"mac", l.mac}, {"switch", l.switch_name}, {"port", l.port}, {"source", l.source}};
                if (o.write) fleet.remember(l);
                if (o.json)
                    std::cout << j.dump() << "\n";
                else
                    std::cout << fmt::format("{} {}:{} ({})\n", l.mac, l.switch_name, l.port, l.source);
                all.push_back(j);
            }
        } catch (const mb::Error& e) {
            ++failures;
            mb::log::error("{}", e.what());
        }
    }
    if (failures == static_cast<int>(names.size())) return mb::kExitUnavailable;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    const char* env_root = std::getenv("MB_ROOT");
    o.root = env_root && *env_root ? env_root : "/var/lib/metal-boot";
    CLI::App app{"mb-poe: power devices through PoE switch ports (SNMP RFC 3621, UniFi, command)", "mb-poe"};
    app.require_subcommand(1);
    app.fallthrough();
    app.add_option("--root", o.root, "Config tree (default $MB_ROOT or /var/lib/metal-boot)");
    app.add_flag("--json", o.json, "Machine output (JSON) on stdout");
    app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error|off");
    app.add_option("--log-format", o.log_format, "text|json");
    int rc = 0;
    auto target_verb = [&](const char* name, const char* help, Action a) {
        auto* sub = app.add_subcommand(name, help);
        sub->add_option("target", o.target, "Device MAC or <switch>:<port>")->required();
        if (a == Action::cycle) {
            sub->add_option("--delay-ms", o.delay_ms, "Time the port stays off (default poe.cycle_delay_ms)");
            sub->add_option("--timeout-ms", o.timeout_ms, "Wait this long for power after on (default poe.cycle_timeout_ms)");
        }
        sub->callback([&, a] { rc = run_action(o, a); });
    };
    target_verb("on", "Enable power on the device's port", Action::on);
    target_verb("off", "Disable power on the device's port", Action::off);
    target_verb("cycle", "Off, wait, on, and wait until the port delivers power", Action::cycle);
    target_verb("status", "Print the port's power state (exit 69 on a fault)", Action::status);
    auto* disc = app.add_subcommand("discover", "List devices seen behind the switches (UniFi client table)");
    disc->add_option("switch", o.switches, "Switch names (default: all)");
    disc->add_flag("--write", o.write, "Store each result in state/poe/<mac>.json");
    disc->callback([&] { rc = run_discover(o); });
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : mb::kExitUsage;
    } catch (const mb::Error& e) {
        std::cerr << "mb-poe: " << e.what() << "\n";
        return e.code();
    } catch (const std::exception& e) {
        std::cerr << "mb-poe: " << e.what() << "\n";
        return mb::kExitSoftware;
    }
    return rc;
}
