#pragma once
// metal-boot.yaml: `http:` section (mb-http).
#include <cstdint>
#include <string>

#include "config/schema.hpp"

namespace mb::config {

struct TlsSettings {
    std::string cert;
    std::string key;

    template <class V>
    void visit(V& v) {
        v.field("cert", cert, "PEM certificate chain (relative to the root); empty: no TLS.", TextFormat{Format::path});
        v.field("key", key, "PEM private key.", TextFormat{Format::path});
    }
};

struct HttpSettings {
    bool enabled = true;
    std::string address = "0.0.0.0";
    uint16_t port = 8080;
    std::string root = "http";
    std::string public_url;
    TlsSettings tls;
    bool access_log = true;
    uint64_t max_body_bytes = 16 * 1024 * 1024;
    std::string ironic_api_url;
    std::string inspection_callback_url;

    template <class V>
    void visit(V& v) {
        v.field("enabled", enabled, "Run the HTTP service.");
        v.field("address", address, "Address to listen on.", TextFormat{Format::ipv4});
        v.field("port", port, "TCP port to listen on.", Range{1, 65535});
        v.field("root", root, "Directory served under / (relative to the config root).", TextFormat{Format::path});
        v.field("public_url", public_url,
                "Base URL clients use to reach mb-http (iPXE scripts, HTTP boot); empty: http://<server.address>:<port>.",
                TextFormat{Format::url});
        v.field("tls", tls, "TLS certificate; when set mb-http serves HTTPS.");
        v.field("access_log", access_log, "Log one line per request.");
        v.field("max_body_bytes", max_body_bytes, "Largest request body accepted (inspection inventories).",
                Range{1024, 1024LL * 1024 * 1024});
        v.field("ironic_api_url", ironic_api_url, "Ironic API URL passed to IPA (ipa-api-url).", TextFormat{Format::url});
        v.field("inspection_callback_url", inspection_callback_url,
                "Inspection callback URL passed to IPA; empty: mb-http's own /v1/continue_inspection.",
                TextFormat{Format::url});
    }
};

}  // namespace mb::config
