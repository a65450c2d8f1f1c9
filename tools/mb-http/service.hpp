#pragma once
// mb-http's routes over the current config snapshot: iPXE scripts, the inspection callback,
// static files, /healthz and /metrics. Handlers read the snapshot under a mutex; a reload swaps it.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "config/loader.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"
#include "ipxe/script.hpp"

namespace mb::talos {
class Service;
}

namespace mbhttp {

using Snapshot = std::shared_ptr<const mb::config::Snapshot>;

// The base URL devices use to reach us: http.public_url, else http(s)://<server.address or the
// address the request arrived on>:<port>.
std::string base_url(const mb::config::Snapshot& snap, const std::string& local_address, uint16_t local_port, bool tls);
mb::ipxe::ScriptContext script_context(const mb::config::Snapshot& snap, const std::string& base);
// templates/ipxe/<name>.ipxe of the tree, when present.
mb::ipxe::TemplateLookup template_lookup(const mb::config::Tree& tree);

// Stores an inspection; returns {status, json body} as IPA expects (ironic.md §2).
struct InspectionResult {
    int status;
    std::string body;
    std::string mac;  // dashed, "" when not stored
};
InspectionResult store_inspection(const mb::config::Snapshot& snap, const std::string& body, bool continue_inspection,
                                  const std::string& source);

// Rendered per-device scripts, valid for one config generation. A reload (any change to
// metal-boot.yaml, devices/, templates/, state/) starts a new generation and drops every entry, so
// a request on the hot path is one hash lookup; operator templates are read once per generation.
class ScriptCache {
public:
    struct Entry {
        std::shared_ptr<const std::string> text;
        std::string kind;
        std::string kind_label;  // the metrics label, built once
    };
    // Looks up `key` in generation `gen`.
    std::optional<Entry> find(uint64_t gen, const std::string& key) const;
    // Stores unless the generation moved on meanwhile (a render from an old snapshot).
    void store(uint64_t gen, const std::string& key, Entry entry);
    // Template text by name for generation `gen` (read through `load` once).
    std::optional<std::string> template_text(uint64_t gen, std::string_view name,
                                             const std::function<std::optional<std::string>(std::string_view)>& load);
    void reset(uint64_t gen);
    size_t size() const;

private:
    mutable std::mutex mu_;
    uint64_t gen_ = 0;
    std::unordered_map<std::string, Entry> scripts_;
    std::unordered_map<std::string, std::optional<std::string>> templates_;
};

class Service {
public:
    explicit Service(Snapshot snap);
    void apply(Snapshot snap);
    Snapshot snapshot() const;
    mb::http::Router& router() { return router_; }
    mb::http::Metrics& metrics() { return metrics_; }
    const ScriptCache& script_cache() const { return scripts_; }

private:
    void add_routes();
    mb::http::Response boot_script(const mb::http::Request& req);
    mb::http::Response generic_script(const mb::http::Request& req);
    void inspection(const mb::http::Request& req, mb::http::Responder respond, bool continue_inspection);
    mb::http::Response static_file(const mb::http::Request& req);

    // The snapshot and its generation, read together.
    std::pair<Snapshot, uint64_t> current() const;
    mb::ipxe::TemplateLookup cached_templates(const Snapshot& snap, uint64_t gen);

    mutable std::mutex mu_;
    Snapshot snap_;
    uint64_t generation_ = 0;
    ScriptCache scripts_;
    // http.max_body_bytes, read by the inspection routes on every request (live reload).
    std::shared_ptr<std::atomic<size_t>> max_body_ = std::make_shared<std::atomic<size_t>>(0);
    std::shared_ptr<mb::http::StaticFiles> files_;
    std::shared_ptr<mb::talos::Service> talos_;  // /images/talos/ when talos.enabled
    mb::http::Router router_;
    mb::http::Metrics metrics_;
};

}  // namespace mbhttp
