#pragma once
// metal-boot.yaml: the server settings of one Metal Boot instance. Every key is documented in
// mb-config(5); `mb-<tool> config keys` lists them from this very declaration.
#include "config/dhcp_settings.hpp"
#include "config/http_settings.hpp"
#include "config/poe_settings.hpp"
#include "config/redfish_settings.hpp"
#include "config/server_settings.hpp"
#include "config/talos_settings.hpp"
#include "config/tftp_settings.hpp"
#include "device/record.hpp"

namespace mb::config {

struct Settings {
    ServerSettings server;
    LogSettings log;
    device::Record defaults;
    DhcpSettings dhcp;
    TftpSettings tftp;
    HttpSettings http;
    RedfishSettings redfish;
    PoeSettings poe;
    TalosSettings talos;
    BackendSettings backend;
    LegacySettings legacy;

    template <class V>
    void visit(V& v) {
        v.field("server", server, "This server's identity and interfaces.");
        v.field("log", log, "Logging defaults.");
        v.field("defaults", defaults,
                "Device record defaults for every device (same keys as devices/<mac>.yaml, see DEVICE RECORDS).");
        v.field("dhcp", dhcp, "mb-dhcp.");
        v.field("tftp", tftp, "mb-tftp.");
        v.field("http", http, "mb-http.");
        v.field("redfish", redfish, "mb-redfish.");
        v.field("poe", poe, "PoE switches (mb-poe, mb-redfish).");
        v.field("talos", talos, "Talos image factory proxy (mb-talos, mb-http).");
        v.field("backend", backend, "Remote backend shared by several Metal Boot servers.");
        v.field("legacy", legacy, "Files of the original Go project read as-is.");
    }

    const PoeSwitch* find_switch(const std::string& name) const;
};

}  // namespace mb::config
