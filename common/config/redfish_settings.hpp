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
    bool http_credentials = false;
    uint32_t max_body = 65536;
    std::string manager_id = "mb-redfish";
    std::string virtual_media_ca;

    template <class V>
    void visit(V& v) {
        v.field("enabled", enabled, "Run the Redfish service.");
        v.field("address", address, "Address to listen on.", TextFormat{Format::ipv4});
        v.field("port", port, "HTTPS port.", Range{1, 65535});
        v.field("http_port", http_port, "Plain-HTTP port (0: none).", Range{0, 65535});
        v.field("tls", tls, "Certificate; empty: a self-signed one is generated under state/redfish/ on first start.");
        v.field("users", users, "Accounts.");
        v.field("session_timeout", session_timeout, "Idle session timeout in seconds.", Range{30, 86400});
        v.field("http_credentials", http_credentials,
                "Accept Basic credentials and session creation on the plain-HTTP port (development only).");
        v.field("max_body", max_body, "Largest request body accepted, in bytes (413 above).", Range{1024, 16777216});
        v.field("manager_id", manager_id, "Id of the Manager resource (/redfish/v1/Managers/<id>).");
        v.field("virtual_media_ca", virtual_media_ca,
                "PEM file of the CA certificates a device's UEFI is to trust for https:// virtual media images "
                "(written into its TlsCaCertificate variable); empty: only http:// images.");
    }
};

}  // namespace mb::config
