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
    std::string inspection_forward_url;
    std::string ipa_collectors = "default,logs";
    uint32_t boot_attempts = 5;
    uint32_t boot_timeout_ms = 60000;
    uint32_t max_header_bytes = 16 * 1024;
    uint32_t header_timeout_ms = 10000;
    uint32_t idle_timeout_ms = 15000;
    uint32_t body_timeout_ms = 120000;
    uint32_t write_timeout_ms = 60000;
    uint32_t max_connections = 4096;
    uint16_t log_port = 6666;
    std::string log_address = "0.0.0.0";
    uint64_t log_max_bytes = 4 * 1024 * 1024;

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
        v.field("inspection_forward_url", inspection_forward_url,
                "Also POST each inspection body to this URL (a real Ironic's /v1/continue_inspection) and answer IPA "
                "with its reply; empty: answer locally.",
                TextFormat{Format::url});
        v.field("ipa_collectors", ipa_collectors, "ipa-inspection-collectors passed to IPA (empty: omitted).");
        v.field("boot_attempts", boot_attempts, "Download attempts in rendered iPXE scripts before giving up.",
                Range{1, 100});
        v.field("boot_timeout_ms", boot_timeout_ms, "iPXE kernel/initrd --timeout in milliseconds.",
                Range{1000, 600000});
        v.field("max_header_bytes", max_header_bytes, "Largest request head accepted (431 above).",
                Range{1024, 1024 * 1024});
        v.field("header_timeout_ms", header_timeout_ms,
                "Time a client has to send a whole request head (slowloris defence).", Range{100, 600000});
        v.field("idle_timeout_ms", idle_timeout_ms, "Keep-alive: time to wait for the next request.",
                Range{100, 3600000});
        v.field("body_timeout_ms", body_timeout_ms, "Time a client has to send a whole request body.",
                Range{100, 3600000});
        v.field("write_timeout_ms", write_timeout_ms, "A write that makes no progress this long closes the connection.",
                Range{100, 3600000});
        v.field("max_connections", max_connections, "Open connections at most; more are closed at once.",
                Range{1, 1000000});
        v.field("log_port", log_port, "UDP port of the netconsole/syslog boot-log receiver (0: off).",
                Range{0, 65535});
        v.field("log_address", log_address, "Address the boot-log receiver listens on.", TextFormat{Format::ipv4});
        v.field("log_max_bytes", log_max_bytes,
                "Size at which a device's boot log state/http/logs/<mac>.log is rotated to <mac>.log.1.",
                Range{4096, 1024LL * 1024 * 1024});
    }
};

}  // namespace mb::config
