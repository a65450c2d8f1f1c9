#include "log/log.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <mutex>

#include "core/error.hpp"

namespace mb::log {
namespace {

struct State {
    std::string program = "metal-boot";
    std::atomic<int> level{static_cast<int>(Level::info)};
    std::atomic<int> format{static_cast<int>(Format::text)};
    std::mutex mutex;
};

State& state() {
    static State s;
    return s;
}

std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto secs = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

bool needs_quotes(std::string_view v) {
    if (v.empty()) return true;
    for (char c : v)
        if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
    return false;
}

}  // namespace

Level parse_level(std::string_view text) {
    if (text == "trace") return Level::trace;
    if (text == "debug") return Level::debug;
    if (text == "info") return Level::info;
    if (text == "warn" || text == "warning") return Level::warn;
    if (text == "error") return Level::error;
    if (text == "off") return Level::off;
    throw usage_error("--log-level: expected trace, debug, info, warn, error or off, got '" + std::string(text) + "'");
}

Format parse_format(std::string_view text) {
    if (text == "text") return Format::text;
    if (text == "json") return Format::json;
    throw usage_error("--log-format: expected text or json, got '" + std::string(text) + "'");
}

std::string_view level_name(Level level) {
    switch (level) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: return "off";
    }
    return "?";
}

void set_program(std::string name) { state().program = std::move(name); }
void set_level(Level level) { state().level = static_cast<int>(level); }
void set_format(Format format) { state().format = static_cast<int>(format); }
Level level() { return static_cast<Level>(state().level.load()); }
bool enabled(Level l) { return l != Level::off && static_cast<int>(l) >= state().level.load(); }

void write(Level level, std::string_view message, const Fields& fields) {
    if (!enabled(level)) return;
    auto& s = state();
    std::string line;
    if (static_cast<Format>(s.format.load()) == Format::json) {
        nlohmann::ordered_json j;
        j["ts"] = timestamp();
        j["level"] = level_name(level);
        j["tool"] = s.program;
        j["msg"] = message;
        for (const auto& [k, v] : fields) j[k] = v;
        line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
        line = timestamp() + " " + s.program + " " + std::string(level_name(level)) + ": " + std::string(message);
        for (const auto& [k, v] : fields) {
            line += " " + k + "=";
            line += needs_quotes(v) ? nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : v;
        }
    }
    line += '\n';
    std::lock_guard<std::mutex> lock(s.mutex);
    // One write(2) per line so lines from several threads or processes never interleave.
    size_t off = 0;
    while (off < line.size()) {
        const ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
}

bool RateLimiter::allow(uint64_t& suppressed) { return allow_at(std::chrono::steady_clock::now(), suppressed); }

bool RateLimiter::allow_at(std::chrono::steady_clock::time_point now, uint64_t& suppressed) {
    if (last_ != std::chrono::steady_clock::time_point{}) {
        const double elapsed = std::chrono::duration<double>(now - last_).count();
        tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    }
    last_ = now;
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        suppressed = suppressed_;
        suppressed_ = 0;
        return true;
    }
    ++suppressed_;
    return false;
}

void write_limited(RateLimiter& limiter, Level level, std::string_view message, const Fields& fields) {
    if (!enabled(level)) return;
    uint64_t suppressed = 0;
    if (!limiter.allow(suppressed)) return;
    if (suppressed == 0) {
        write(level, message, fields);
    } else {
        write(level, std::string(message) + fmt::format(" ({} similar messages suppressed)", suppressed), fields);
    }
}

}  // namespace mb::log
