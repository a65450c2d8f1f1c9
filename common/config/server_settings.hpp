#pragma once
// metal-boot.yaml: `server:` and `log:` sections.
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace mb::config {

struct ServerSettings {
    std::string address;
    std::vector<std::string> interfaces;
    std::string name = "metal-boot";

    template <class V>
    void visit(V& v) {
        v.field("address", address,
                "This server's IPv4 address as clients reach it (siaddr, option 54, URLs in scripts). Empty: the "
                "address of the interface a request arrived on.",
                TextFormat{Format::ipv4});
        v.field("interfaces", interfaces, "Network interfaces to serve (empty: all).");
        v.field("name", name, "Name of this Metal Boot instance (Redfish Manager, logs).");
    }
};

struct LogSettings {
    std::string level = "info";
    std::string format = "text";

    template <class V>
    void visit(V& v) {
        v.field("level", level, "Default log level (the --log-level flag wins).",
                OneOf{{"trace", "debug", "info", "warn", "error", "off"}});
        v.field("format", format, "Default log format (the --log-format flag wins).", OneOf{{"text", "json"}});
    }
};

struct LegacySettings {
    std::string netboot_yaml;
    std::string backend_yaml;

    template <class V>
    void visit(V& v) {
        v.field("netboot_yaml", netboot_yaml,
                "Read the original project's MAC-keyed netboot.yaml as-is as a device layer (path, relative to the "
                "root). devices/<mac>.yaml wins over it.",
                TextFormat{Format::path});
        v.field("backend_yaml", backend_yaml,
                "Read the original project's backend.yaml (or a smee file backend) as-is as a device layer.",
                TextFormat{Format::path});
    }
};

struct BackendSettings {
    std::string type = "none";
    std::vector<std::string> endpoints;
    std::string prefix = "/metalboot/";
    uint32_t timeout_ms = 2000;

    template <class V>
    void visit(V& v) {
        v.field("type", type, "Remote backend for shared device records: none or etcd (v3 JSON gateway).",
                OneOf{{"none", "etcd"}});
        v.field("endpoints", endpoints, "etcd client URLs, e.g. http://10.0.0.5:2379.", TextFormat{Format::url});
        v.field("prefix", prefix, "Key prefix; device records live under <prefix>hw/<mac>.");
        v.field("timeout_ms", timeout_ms, "Request timeout in milliseconds.", Range{100, 60000});
    }
};

}  // namespace mb::config
