#pragma once
// The power driver interface of mb-poe: a switch port (or relay, PDU, VM) that feeds one device.
// Drivers throw mb::Error with kExitUnavailable when the switch cannot be reached or refuses, and
// kExitDataErr / kExitConfig for answers or settings that make no sense.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::poe {

// What a port delivers, in the vocabulary Redfish PowerState needs.
enum class Power { on, off, powering_on, powering_off, fault, unknown };

std::string_view to_string(Power p);
// Parses "on", "off", "powering_on"/"poweringon", "powering_off", "fault", "unknown" (any case).
std::optional<Power> parse_power(std::string_view text);

struct PortStatus {
    Power power = Power::unknown;
    std::optional<bool> admin_enabled;  // the switch's administrative setting, when it has one
    std::string detail;                 // driver-specific text ("deliveringPower", "poe_mode=auto")
    std::optional<double> watts;        // power drawn, when reported
};

// A port as the driver understands it: `port` is driver syntax ("3", "1.3" = group 1 port 3 for
// SNMP; port_idx for UniFi; free text handed to a command).
struct PortRef {
    std::string switch_name;
    std::string port;
    std::string mac;  // device MAC (colon form) when known, for command placeholders
};

// A device seen behind a port by discovery.
struct Learned {
    std::string mac;  // colon form
    std::string switch_name;
    std::string port;
    std::string source;  // "unifi:stat/sta", "unifi:port_table", "snmp:dot1dTpFdb"...
};

enum class Action { on, off, cycle, status };
std::string_view to_string(Action a);

struct CycleOptions {
    std::chrono::milliseconds off_delay{5000};  // power stays off this long
    std::chrono::milliseconds timeout{60000};   // wait for the port to deliver power again
    std::chrono::milliseconds poll{500};
    // Injected so tests and the async Redfish worker control time; defaults to sleep_for.
    std::function<void(std::chrono::milliseconds)> sleep;
};

class Driver {
public:
    virtual ~Driver() = default;
    virtual void on(const PortRef& port) = 0;
    virtual void off(const PortRef& port) = 0;
    virtual PortStatus status(const PortRef& port) = 0;
    // Off, wait off_delay, on, then wait until the port delivers power (or fail on fault/timeout).
    // Drivers with a native momentary cycle override this.
    virtual void cycle(const PortRef& port, const CycleOptions& options);
    // Devices behind this switch; throws kExitUnavailable when the switch cannot tell.
    virtual std::vector<Learned> discover();
    virtual std::string_view kind() const = 0;

protected:
    // Polls status() until it reads on; throws on fault or timeout.
    void wait_for_power(const PortRef& port, const CycleOptions& options);
};

}  // namespace mb::poe
