#include "http/metrics.hpp"

#include <fmt/format.h>

namespace mb::http {

namespace {
constexpr std::array<double, 12> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30};
}

std::string prometheus_label(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

void Metrics::observe(const Exchange& e) {
    std::lock_guard lock(mu_);
    const std::string method = e.method.size() <= 10 && !e.method.empty() ? e.method : "other";
    ++requests_[{e.route, method, e.status}];
    auto& r = routes_[e.route];
    r.bytes_out += e.bytes_out;
    r.bytes_in += e.bytes_in;
    if (e.status >= 500 || e.aborted) ++r.errors;
    if (e.aborted) ++r.aborted;
    for (size_t i = 0; i < kBounds.size(); ++i)
        if (e.seconds <= kBounds[i]) ++r.buckets[i];
    ++r.count;
    r.sum += e.seconds;
}

void Metrics::add(const std::string& name, const std::string& help, double value, const std::string& label) {
    std::lock_guard lock(mu_);
    auto& n = named_[name];
    n.help = help;
    n.values[label] += value;
}

void Metrics::set_gauge(const std::string& name, const std::string& help, double value) {
    std::lock_guard lock(mu_);
    auto& n = named_[name];
    n.help = help;
    n.gauge = true;
    n.values[""] = value;
}

std::string Metrics::render() const {
    std::lock_guard lock(mu_);
    std::string out;
    const auto& p = prefix_;
    out += fmt::format("# HELP {0}_requests_total HTTP requests answered, by route, method and status.\n"
                       "# TYPE {0}_requests_total counter\n",
                       p);
    for (const auto& [key, n] : requests_) {
        const auto& [route, method, status] = key;
        out += fmt::format("{}_requests_total{{route=\"{}\",method=\"{}\",code=\"{}\"}} {}\n", p,
                           prometheus_label(route), prometheus_label(method), status, n);
    }
    out += fmt::format("# HELP {0}_response_bytes_total Bytes written (head and body), by route.\n"
                       "# TYPE {0}_response_bytes_total counter\n",
                       p);
    for (const auto& [route, r] : routes_)
        out += fmt::format("{}_response_bytes_total{{route=\"{}\"}} {}\n", p, prometheus_label(route), r.bytes_out);
    out += fmt::format("# HELP {0}_request_bytes_total Bytes received (head and body), by route.\n"
                       "# TYPE {0}_request_bytes_total counter\n",
                       p);
    for (const auto& [route, r] : routes_)
        out += fmt::format("{}_request_bytes_total{{route=\"{}\"}} {}\n", p, prometheus_label(route), r.bytes_in);
    out += fmt::format("# HELP {0}_errors_total Responses that were 5xx or did not complete, by route.\n"
                       "# TYPE {0}_errors_total counter\n",
                       p);
    for (const auto& [route, r] : routes_)
        out += fmt::format("{}_errors_total{{route=\"{}\"}} {}\n", p, prometheus_label(route), r.errors);
    out += fmt::format("# HELP {0}_request_duration_seconds Time from request head to last byte, by route.\n"
                       "# TYPE {0}_request_duration_seconds histogram\n",
                       p);
    for (const auto& [route, r] : routes_) {
        const auto label = prometheus_label(route);
        for (size_t i = 0; i < kBounds.size(); ++i)
            out += fmt::format("{}_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", p, label,
                               kBounds[i], r.buckets[i]);
        out += fmt::format("{}_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", p, label, r.count);
        out += fmt::format("{}_request_duration_seconds_sum{{route=\"{}\"}} {}\n", p, label, r.sum);
        out += fmt::format("{}_request_duration_seconds_count{{route=\"{}\"}} {}\n", p, label, r.count);
    }
    for (const auto& [name, n] : named_) {
        out += fmt::format("# HELP {}_{} {}\n# TYPE {}_{} {}\n", p, name, n.help, p, name, n.gauge ? "gauge" : "counter");
        for (const auto& [label, v] : n.values)
            out += label.empty() ? fmt::format("{}_{} {}\n", p, name, v) : fmt::format("{}_{}{{{}}} {}\n", p, name, label, v);
    }
    return out;
}

}  // namespace mb::http
