#include "poe/driver.hpp"

#include <fmt/format.h>

#include <thread>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::poe {

std::string_view to_string(Power p) {
    switch (p) {
        case Power::on: return "on";
        case Power::off: return "off";
        case Power::powering_on: return "powering_on";
        case Power::powering_off: return "powering_off";
        case Power::fault: return "fault";
        case Power::unknown: break;
    }
    return "unknown";
}

std::optional<Power> parse_power(std::string_view text) {
    std::string t = to_lower(trim(text));
    std::erase(t, '_');
    std::erase(t, '-');
    if (t == "on") return Power::on;
    if (t == "off") return Power::off;
    if (t == "poweringon") return Power::powering_on;
    if (t == "poweringoff") return Power::powering_off;
    if (t == "fault") return Power::fault;
    if (t == "unknown") return Power::unknown;
    return std::nullopt;
}

std::string_view to_string(Action a) {
    switch (a) {
        case Action::on: return "on";
        case Action::off: return "off";
        case Action::cycle: return "cycle";
        case Action::status: break;
    }
    return "status";
}

namespace {
void do_sleep(const CycleOptions& o, std::chrono::milliseconds d) {
    if (o.sleep)
        o.sleep(d);
    else
        std::this_thread::sleep_for(d);
}
}  // namespace

void Driver::wait_for_power(const PortRef& port, const CycleOptions& options) {
    std::chrono::milliseconds waited{0};
    PortStatus last;
    for (;;) {
        last = status(port);
        if (last.power == Power::on) return;
        if (last.power == Power::fault)
            throw Error(kExitUnavailable, fmt::format("switch {} port {}: the port reports a fault ({})",
                                                      port.switch_name, port.port, last.detail));
        if (waited >= options.timeout) break;
        do_sleep(options, options.poll);
        waited += options.poll;
    }
    throw Error(kExitUnavailable,
                fmt::format("switch {} port {}: no power delivered {} ms after power-on (last state {}{}{})",
                            port.switch_name, port.port, options.timeout.count(), to_string(last.power),
                            last.detail.empty() ? "" : ", ", last.detail));
}

void Driver::cycle(const PortRef& port, const CycleOptions& options) {
    off(port);
    do_sleep(options, options.off_delay);
    on(port);
    wait_for_power(port, options);
}

std::vector<Learned> Driver::discover() {
    throw Error(kExitUnavailable, fmt::format("the {} driver cannot discover devices", kind()));
}

}  // namespace mb::poe
