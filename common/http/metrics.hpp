#pragma once
// Prometheus text exposition (format 0.0.4) for the HTTP server: requests, response bytes, errors
// and latency per route (the route's label, never the raw path, so cardinality stays bounded),
// plus named counters a tool adds (inventories received, log lines...). Thread-safe.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "http/server.hpp"

namespace mb::http {

class Metrics {
public:
    explicit Metrics(std::string prefix = "mb_http") : prefix_(std::move(prefix)) {}

    // Feed from ServerOptions::on_exchange.
    void observe(const Exchange& exchange);
    // A tool-defined counter: "<prefix>_<name>" with HELP text; `label` is optional ("kind=\"x\"").
    void add(const std::string& name, const std::string& help, double value = 1, const std::string& label = "");
    // A gauge set to `value`.
    void set_gauge(const std::string& name, const std::string& help, double value);

    std::string render() const;

private:
    struct RouteStats {
        uint64_t bytes_out = 0;
        uint64_t bytes_in = 0;
        uint64_t errors = 0;   // 5xx or aborted
        uint64_t aborted = 0;
        std::array<uint64_t, 12> buckets{};  // latency histogram
        uint64_t count = 0;
        double sum = 0;
    };
    struct Named {
        std::string help;
        bool gauge = false;
        std::map<std::string, double> values;  // label → value
    };
    std::string prefix_;
    mutable std::mutex mu_;
    std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // route, method, status
    std::map<std::string, RouteStats> routes_;
    std::map<std::string, Named> named_;
};

// Escapes a Prometheus label value (backslash, quote, newline).
std::string prometheus_label(std::string_view value);

}  // namespace mb::http
