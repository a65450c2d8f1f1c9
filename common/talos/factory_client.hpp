#pragma once
// HTTP client for a Talos image factory (libcurl). Redirects are followed (the public factory
// answers image GETs with 302 to a CDN), TLS is verified, and there is no total timeout: the first
// request for a new asset builds it before any header is sent, so we allow a long wait for the
// first byte and then apply a low-speed limit.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace mb::talos {

// The factory answered with a non-2xx status (after redirects).
class FactoryStatusError : public Error {
public:
    FactoryStatusError(long status, const std::string& message) : Error(kExitUnavailable, message), status_(status) {}
    long status() const noexcept { return status_; }

private:
    long status_;
};

struct FactoryOptions {
    std::string base_url = "https://factory.talos.dev";
    long connect_timeout_s = 10;
    long first_byte_timeout_s = 600;  // a first build may take minutes
    long low_speed_limit = 1024;      // bytes/s, averaged over low_speed_time_s, once data flows
    long low_speed_time_s = 60;
    std::string ca_file;  // extra CA bundle ("" = system store)
};

// What a download reports once the final (post-redirect) response's headers are known.
struct ResponseHead {
    long status = 0;
    std::optional<uint64_t> content_length;
    std::string effective_url;
};

class FactoryClient {
public:
    explicit FactoryClient(FactoryOptions options);
    const FactoryOptions& options() const { return options_; }
    // GET base_url + path; returns the body of a 2xx answer; throws Error(kExitUnavailable) naming
    // the URL and the status or transport error otherwise.
    std::string get(std::string_view path) const;
    // POST /schematics with the YAML body; returns the "id" of any 2xx answer (201 with or without
    // "schematic", or 200). Throws on another status or an answer without a 64-hex id.
    std::string post_schematic(std::string_view yaml) const;

    struct Handlers {
        // Called once, before any data, with the final response's status and length.
        std::function<void(const ResponseHead&)> on_head;
        // Body bytes of a 2xx answer; throw to abort the transfer.
        std::function<void(std::string_view)> on_data;
        // Polled during the transfer; true aborts it.
        std::function<bool()> cancelled;
        // Polled like `cancelled`: many times a second while data flows, about once a second when
        // it does not (to hand over data held back for batching when the input stalls).
        std::function<void()> on_tick;
        // Progress (bytes so far, total if known), polled about once a second and at the end.
        std::function<void(uint64_t, std::optional<uint64_t>)> on_progress;
    };
    // GET (or HEAD) base_url + path streaming the body to the handlers. Returns the head; throws
    // Error(kExitUnavailable) for transport failures, a non-2xx status, or a body shorter or longer
    // than its Content-Length.
    ResponseHead download(std::string_view path, const Handlers& handlers, bool head_only = false) const;

    std::string url(std::string_view path) const;

private:
    FactoryOptions options_;
};

}  // namespace mb::talos
