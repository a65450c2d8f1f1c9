// mb-poe: power a device's switch port on, off or through a cycle, read its state, and learn
// which port feeds which device. One-shot verbs; the drivers live in common/poe.
#include <fmt/format.h>

#include <iostream>

#include "cli/tool.hpp"
#include "core/error.hpp"
#include "log/log.hpp"
#include "poe/fleet.hpp"

namespace {

using mb::poe::Action;
using mb::poe::Fleet;
using mb::poe::PortRef;
using ojson = nlohmann::ordered_json;

struct Options {
    std::string target;
    std::vector<std::string> switches;
    bool write = false;
    long delay_ms = -1;
    long timeout_ms = -1;
};

ojson status_json(const PortRef& p, const mb::poe::PortStatus& st) {
    ojson j{{"switch", p.switch_name}, {"port", p.port}};
    if (!p.mac.empty()) j["mac"] = p.mac;
    j["power"] = std::string(mb::poe::to_string(st.power));
    if (st.admin_enabled) j["admin_enabled"] = *st.admin_enabled;
    if (!st.detail.empty()) j["detail"] = st.detail;
    if (st.watts) j["watts"] = *st.watts;
    return j;
}

void print(const mb::cli::GlobalOptions& g, const ojson& j, const std::string& text) {
    if (g.json)
        mb::cli::print_json(j);
    else
        std::cout << text << "\n";
}

void run_action(const mb::cli::GlobalOptions& g, const Options& o, Action action) {
    Fleet fleet(g.load());
    auto port = fleet.resolve(o.target);
    auto driver = fleet.driver(port.switch_name);
    std::string where =
        fmt::format("{}:{}{}", port.switch_name, port.port, port.mac.empty() ? "" : " (" + port.mac + ")");
    switch (action) {
        case Action::on: driver->on(port); break;
        case Action::off: driver->off(port); break;
        case Action::cycle: {
            auto opts = fleet.cycle_options();
            if (o.delay_ms >= 0) opts.off_delay = std::chrono::milliseconds(o.delay_ms);
            if (o.timeout_ms >= 0) opts.timeout = std::chrono::milliseconds(o.timeout_ms);
            driver->cycle(port, opts);
            break;
        }
        case Action::status: {
            auto st = driver->status(port);
            print(
                g, status_json(port, st),
                fmt::format("{} {}{}{}", where, mb::poe::to_string(st.power), st.detail.empty() ? "" : " ", st.detail));
            if (st.power == mb::poe::Power::fault) mb::cli::set_exit_code(mb::kExitUnavailable);
            return;
        }
    }
    mb::log::info("{}: {} done", where, mb::poe::to_string(action));
    ojson j{{"switch", port.switch_name}, {"port", port.port}};
    if (!port.mac.empty()) j["mac"] = port.mac;
    j["action"] = std::string(mb::poe::to_string(action));
    j["result"] = "ok";
    print(g, j, fmt::format("{} {}: ok", where, mb::poe::to_string(action)));
}

void run_discover(const mb::cli::GlobalOptions& g, const Options& o) {
    Fleet fleet(g.load());
    std::vector<std::string> names = o.switches;
    if (names.empty())
        for (auto& [name, _] : fleet.settings().switches) names.push_back(name);
    if (names.empty()) throw mb::config_error("no switches configured under poe.switches");
    size_t failures = 0;
    for (auto& name : names) {
        try {
            for (auto& l : fleet.driver(name)->discover()) {
                ojson j{{"mac", l.mac}, {"switch", l.switch_name}, {"port", l.port}, {"source", l.source}};
                if (o.write) fleet.remember(l);
                if (g.json)
                    std::cout << j.dump() << "\n";  // JSON Lines, one device per line
                else
                    std::cout << fmt::format("{} {}:{} ({})\n", l.mac, l.switch_name, l.port, l.source);
            }
        } catch (const mb::Error& e) {
            ++failures;
            mb::log::error("{}", e.what());
        }
    }
    if (failures == names.size()) mb::cli::set_exit_code(mb::kExitUnavailable);
}

}  // namespace

int main(int argc, char** argv) {
    auto o = std::make_shared<Options>();
    return mb::cli::run_tool(
        argc, argv, "mb-poe", "Power devices through PoE switch ports (SNMP RFC 3621, UniFi, command)",
        [o](CLI::App& app, mb::cli::GlobalOptions& g) {
            auto target_verb = [&](const char* name, const char* help, Action a) {
                auto* sub = app.add_subcommand(name, help);
                sub->add_option("target", o->target, "Device (MAC, name or hostname) or <switch>:<port>")->required();
                if (a == Action::cycle) {
                    sub->add_option("--delay-ms", o->delay_ms, "Time the port stays off (default poe.cycle_delay_ms)");
                    sub->add_option("--timeout-ms", o->timeout_ms,
                                    "Wait this long for power after on (default poe.settle_timeout_ms)");
                }
                sub->callback([o, &g, a] { run_action(g, *o, a); });
            };
            target_verb("on", "Enable power on the device's port", Action::on);
            target_verb("off", "Disable power on the device's port", Action::off);
            target_verb("cycle", "Off, wait, on, and wait until the port delivers power", Action::cycle);
            target_verb("status", "Print the port's power state (exit 69 on a fault)", Action::status);
            auto* disc = app.add_subcommand(
                "discover", "List devices seen behind the switches (UniFi client table, SNMP LLDP and bridge tables)");
            disc->add_option("switch", o->switches, "Switch names (default: all)");
            disc->add_flag("--write", o->write,
                           "Store each result as power.{switch,port} in state/poe/devices/<mac>.json");
            disc->callback([o, &g] { run_discover(g, *o); });
        });
}
