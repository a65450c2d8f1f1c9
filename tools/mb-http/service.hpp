#pragma once
// mb-http's routes over the current config snapshot: iPXE scripts, the inspection callback,
// static files, /healthz and /metrics. Handlers read the snapshot under a mutex; a reload swaps it.
#include <memory>
#include <mutex>
#include <string>

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
std::string base_url(const mb::config::Snapshot& snap, const std::string& local_address, uint16_t local_port,
                     bool tls);
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

class Service {
public:
    explicit Service(Snapshot snap);
    void apply(Snapshot snap);
    Snapshot snapshot() const;
    mb::http::Router& router() { return router_; }
    mb::http::Metrics& metrics() { return metrics_; }

private:
    void add_routes();
    mb::http::Response boot_script(const mb::http::Request& req);
    mb::http::Response generic_script(const mb::http::Request& req);
    void inspection(const mb::http::Request& req, mb::http::Responder respond, bool continue_inspection);
    mb::http::Response static_file(const mb::http::Request& req);

    mutable std::mutex mu_;
    Snapshot snap_;
    std::shared_ptr<mb::http::StaticFiles> files_;
    std::shared_ptr<mb::talos::Service> talos_;  // /images/talos/ when talos.enabled
    mb::http::Router router_;
    mb::http::Metrics metrics_;
};

}  // namespace mbhttp
