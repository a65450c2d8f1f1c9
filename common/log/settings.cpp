#include "log/settings.hpp"

#include "log/log.hpp"

namespace mb::log {
namespace {

struct CommandLine {
    std::string level;
    std::string format;
};

CommandLine& command_line() {
    static CommandLine c;
    return c;
}

}  // namespace

void set_command_line(std::string level, std::string format) {
    command_line() = {std::move(level), std::move(format)};
}

void apply_config(std::string_view level, std::string_view format) {
    const auto& c = command_line();
    std::string_view l = !c.level.empty() ? std::string_view(c.level) : level.empty() ? "info" : level;
    std::string_view f = !c.format.empty() ? std::string_view(c.format) : format.empty() ? "text" : format;
    set_level(parse_level(l));
    set_format(parse_format(f));
}

}  // namespace mb::log
