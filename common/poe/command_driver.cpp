#include "poe/command_driver.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "poe/process.hpp"

namespace mb::poe {

std::string expand_command(const std::string& templ, Action action, const PortRef& port) {
    std::string out;
    for (size_t i = 0; i < templ.size(); ++i) {
        char c = templ[i];
        if (c == '{' && i + 1 < templ.size() && templ[i + 1] == '{') {
            out += '{';
            ++i;
            continue;
        }
        if (c == '}' && i + 1 < templ.size() && templ[i + 1] == '}') {
            out += '}';
            ++i;
            continue;
        }
        if (c != '{') {
            out += c;
            continue;
        }
        auto end = templ.find('}', i);
        if (end == std::string::npos)
            throw config_error(fmt::format("command {}: unterminated placeholder at offset {}", mb::quoted(templ), i));
        auto name = templ.substr(i + 1, end - i - 1);
        if (name == "action")
            out += shell_quote(std::string(to_string(action)));
        else if (name == "switch")
            out += shell_quote(port.switch_name);
        else if (name == "port")
            out += shell_quote(port.port);
        else if (name == "mac")
            out += shell_quote(port.mac);
        else
            throw config_error(fmt::format("command {}: unknown placeholder {{{}}} (known: action, switch, port, mac)",
                                           mb::quoted(templ), name));
        i = end;
    }
    return out;
}

PortStatus parse_status_output(int exit_code, const std::string& out) {
    PortStatus st;
    auto text = trim(out);
    if (text.empty()) {
        if (exit_code == 0) {
            st.power = Power::on;
            return st;
        }
        if (exit_code == 1) {
            st.power = Power::off;
            return st;
        }
        throw Error(exit_code == kExitUnavailable ? kExitUnavailable : kExitDataErr,
                    fmt::format("status command exited {} without output", exit_code));
    }
    if (exit_code != 0 && exit_code != 1)
        throw Error(exit_code == kExitUnavailable ? kExitUnavailable : kExitDataErr,
                    fmt::format("status command exited {}: {}", exit_code, mb::quoted(text)));
    if (text.front() == '{') {
        auto j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            throw data_error(fmt::format("status command printed malformed JSON: {}", mb::quoted(text)));
        auto p = j.find("power");
        if (p == j.end()) p = j.find("state");
        if (p == j.end() || !p->is_string())
            throw data_error(fmt::format("status command JSON lacks a \"power\" string: {}", mb::quoted(text)));
        auto power = parse_power(p->get<std::string>());
        if (!power) throw data_error(fmt::format("status command reported unknown power {}", mb::quoted(p->get<std::string>())));
        st.power = *power;
        if (auto d = j.find("detail"); d != j.end() && d->is_string()) st.detail = d->get<std::string>();
        if (auto w = j.find("watts"); w != j.end() && w->is_number()) st.watts = w->get<double>();
        return st;
    }
    auto first_line = split(text, '\n')[0];
    auto power = parse_power(first_line);
    if (!power) throw data_error(fmt::format("status command printed {}, expected on/off or JSON", mb::quoted(first_line)));
    st.power = *power;
    return st;
}

std::string CommandDriver::run(Action action, const PortRef& port, int* exit_code) {
    auto a = std::string(to_string(action));
    auto it = s_.command.actions.find(a);
    if (it == s_.command.actions.end())
        throw Error(kExitUnavailable, fmt::format("switch {}: no {} command configured", s_.name, a));
    const std::string& templ = it->second;
    auto line = expand_command(templ, action, port);
    log::debug("switch {}: running {}", s_.name, line);
    auto r = run_shell(line, std::chrono::milliseconds(s_.command.timeout_ms));
    if (r.timed_out)
        throw Error(kExitUnavailable, fmt::format("switch {}: {} command timed out after {} ms", s_.name, a,
                                                  s_.command.timeout_ms));
    auto err_lines = split(std::string(trim(r.err)), '\n', true);
    std::string last_err = err_lines.empty() ? "" : err_lines.back();
    if (exit_code) {
        *exit_code = r.exit_code;
        if (!last_err.empty() && r.exit_code != 0 && r.exit_code != 1)
            throw Error(r.exit_code == kExitUnavailable ? kExitUnavailable : kExitDataErr,
                        fmt::format("switch {}: {} command exited {}: {}", s_.name, a, r.exit_code, last_err));
        return r.out;
    }
    if (r.exit_code != 0)
        throw Error(r.exit_code == kExitUnavailable ? kExitUnavailable : kExitSoftware,
                    fmt::format("switch {}: {} command for port {} exited {}{}{}", s_.name, a, port.port, r.exit_code,
                                last_err.empty() ? "" : ": ", last_err));
    return r.out;
}

void CommandDriver::on(const PortRef& port) { run(Action::on, port, nullptr); }
void CommandDriver::off(const PortRef& port) { run(Action::off, port, nullptr); }

PortStatus CommandDriver::status(const PortRef& port) {
    int code = 0;
    auto out = run(Action::status, port, &code);
    try {
        return parse_status_output(code, out);
    } catch (const Error& e) {
        throw Error(e.code(), fmt::format("switch {}: {}", s_.name, e.what()));
    }
}

void CommandDriver::cycle(const PortRef& port, const CycleOptions& options) {
    if (s_.command.actions.count("cycle")) {
        run(Action::cycle, port, nullptr);
        return;
    }
    Driver::cycle(port, options);
}

}  // namespace mb::poe
