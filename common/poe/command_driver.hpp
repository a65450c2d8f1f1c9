#pragma once
// The `command` driver: the operator's script does the switching (relays, PDUs, smart plugs, SSH to
// a UniFi switch, the demo's QEMU VMs). Contract, per action:
//   on/off/cycle  exit 0 = done; any other exit = failure (stderr's last line is reported).
//   status        stdout JSON {"power": "on|off|powering_on|powering_off|fault", "detail"?, "watts"?}
//                 or a single word (on/off/...); with empty stdout, exit 0 = on and exit 1 = off.
//   exit 69 (EX_UNAVAILABLE) from any action = the switch is unreachable.
// Without a `cycle` command, cycle = off, delay, on, wait for power (Driver::cycle, needs `status`).
#include "poe/driver.hpp"
#include "poe/settings.hpp"

namespace mb::poe {

// Substitutes {action} {switch} {port} {mac} (shell-quoted) in a command line; {{ and }} are
// literal braces. Throws kExitConfig on an unknown placeholder.
std::string expand_command(const std::string& templ, Action action, const PortRef& port);

// Interprets a status command's result (pure, for tests).
PortStatus parse_status_output(int exit_code, const std::string& out);

class CommandDriver : public Driver {
public:
    explicit CommandDriver(SwitchSettings s) : s_(std::move(s)) {}
    void on(const PortRef& port) override;
    void off(const PortRef& port) override;
    PortStatus status(const PortRef& port) override;
    void cycle(const PortRef& port, const CycleOptions& options) override;
    std::string_view kind() const override { return "command"; }

private:
    std::string run(Action action, const PortRef& port, int* exit_code);
    SwitchSettings s_;
};

}  // namespace mb::poe
