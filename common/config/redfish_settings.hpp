#pragma once
// metal-boot.yaml: `redfish:` section (mb-redfish).
#include <cstdint>
#include <string>
#include <vector>

#include "config/http_settings.hpp"
#include "config/schema.hpp"

namespace mb::config {

struct RedfishUser {
    std::string name;
    std::string password;
    std::string role = "ReadOnly";

    template <class V>
    void visit(V& v) {
        v.field("name", name, "User name.");
        v.field("password", password, "Password (plain text or a crypt(3) $6$ hash).");
        v.field("role", role, "Role.", OneOf{{"Administrator", "Operator", "ReadOnly"}});
    }
};

struct RedfishSettings {
    bool enabled = true;
    std::string address = "0.0.0.0";
    uint16_t port = 8443;
    uint16_t http_port = 0;
    TlsSettings tls;
    std::vector<RedfishUser> users;
    uint32_t session_timeout = 1800;

    template <class V>
    void visit(V& v) {
        v.field("enabled", enabled, "Run the Redfish service.");
        v.field("address", address, "Address to listen on.", TextFormat{Format::ipv4});
        v.field("port", port, "HTTPS port.", Range{1, 65535});
        v.field("http_port", http_port, "Plain-HTTP port (0: none).", Range{0, 65535});
        v.field("tls", tls, "Certificate; empty: a self-signed one is generated under state/redfish/ on first start.");
        v.field("users", users, "Accounts.");
        v.field("session_timeout", session_timeout, "Idle session timeout in seconds.", Range{30, 86400});
    }
};

}  // namespace mb::config
