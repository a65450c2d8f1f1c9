#pragma once
// Logging to stderr, as text ("2026-11-24T21:30:00.123Z mb-dhcp info: message key=value") or as
// JSON Lines ({"ts":...,"level":"info","tool":"mb-dhcp","msg":"...","key":"value"}).
// Standard output stays for machine output; logs never go there.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mb::log {

enum class Level { trace = 0, debug, info, warn, error, off };
enum class Format { text, json };

using Fields = std::vector<std::pair<std::string, std::string>>;

// Parses "trace|debug|info|warn|warning|error|off"; throws mb::Error(kExitUsage) otherwise.
Level parse_level(std::string_view text);
Format parse_format(std::string_view text);
std::string_view level_name(Level level);

void set_program(std::string name);
void set_level(Level level);
void set_format(Format format);
Level level();
bool enabled(Level level);

void write(Level level, std::string_view message, const Fields& fields = {});

template <class... Args>
void trace(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::trace)) write(Level::trace, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::debug)) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::info)) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::warn)) write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::error)) write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}

// A token bucket for messages that a flood could trigger (malformed packets, refused requests):
// at most `burst` messages, refilled at `per_second`. When messages were suppressed, the next
// allowed one reports how many.
class RateLimiter {
public:
    RateLimiter(double per_second = 1.0, double burst = 5.0) : rate_(per_second), burst_(burst), tokens_(burst) {}
    // Returns true if a message may be logged now; `suppressed` receives the count dropped since
    // the previous allowed message.
    bool allow(uint64_t& suppressed);
    bool allow_at(std::chrono::steady_clock::time_point now, uint64_t& suppressed);

private:
    double rate_;
    double burst_;
    double tokens_;
    std::chrono::steady_clock::time_point last_{};
    uint64_t suppressed_ = 0;
};

// Logs through `limiter`; appends "(N similar messages suppressed)" when some were dropped.
void write_limited(RateLimiter& limiter, Level level, std::string_view message, const Fields& fields = {});

}  // namespace mb::log
