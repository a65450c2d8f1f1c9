// mb-redfish: a Redfish service (the "BMC") for every device in the config tree. `serve` runs the
// HTTPS (and optional plain-HTTP) server; the resource tree is common/redfish, power goes through
// common/poe, boot overrides and BIOS settings become UEFI variables in firmware/<mac>.json.
#include <fmt/format.h>
#include <openssl/rand.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <iostream>

#include "cli/tool.hpp"
#include "config/state_store.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "daemon/daemon.hpp"
#include "efi/tls_ca.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/tls_cert.hpp"
#include "log/log.hpp"
#include "redfish/service.hpp"
#include "redfish/tree_backend.hpp"

namespace {

using mb::redfish::ServiceConfig;

std::string random_uuid() {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) throw mb::Error(mb::kExitSoftware, "RAND_bytes failed");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    auto h = mb::to_hex(std::span<const uint8_t>(b, 16));
    return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4), h.substr(16, 4),
                       h.substr(20));
}

// TlsCaCertificate data from redfish.virtual_media_ca (empty when unset); throws naming the file.
std::vector<uint8_t> virtual_media_ca(const mb::config::Snapshot& snap) {
    const auto& file = snap.settings.redfish.virtual_media_ca;
    if (file.empty()) return {};
    auto path = snap.tree.resolve(file);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw mb::config_error(fmt::format("redfish.virtual_media_ca: cannot read {}", path.string()));
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
        auto certs = mb::efi::pem_certificates(pem, path.string());
        mb::log::info("virtual media: {} CA certificate(s) from {} for https:// images", certs.size(), path.string());
        return mb::efi::tls_ca_signature_lists(certs);
    } catch (const mb::Error& e) {
        throw mb::config_error(fmt::format("redfish.virtual_media_ca: {}", e.what()));
    }
}

ServiceConfig service_config(const mb::config::Snapshot& snap, mb::redfish::Backend& backend) {
    const auto& s = snap.settings.redfish;
    ServiceConfig c;
    for (auto& u : s.users) c.accounts.push_back({u.name, u.password, u.role});
    c.session_timeout_s = static_cast<int>(s.session_timeout);
    c.max_body = s.max_body;
    c.manager_id = s.manager_id;
    c.allow_credentials_over_http = s.http_credentials;
    c.virtual_media_ca = virtual_media_ca(snap);
    auto st = backend.load_service_state();
    if (!st.is_object()) st = nlohmann::json::object();
    if (!st.contains("UUID") || !st["UUID"].is_string()) {
        st["UUID"] = random_uuid();
        backend.store_service_state(st);
    }
    c.service_uuid = st["UUID"].get<std::string>();
    if (c.accounts.empty()) mb::log::warn("redfish.users is empty: only the service root is reachable");
    return c;
}

int serve(mb::cli::GlobalOptions& g) {
    mb::daemon::Daemon d("mb-redfish", g.tree());
    auto snap = d.start();
    const auto& rs = snap->settings.redfish;
    mb::redfish::TreeBackend backend(snap);
    auto service = std::make_unique<mb::redfish::Service>(service_config(*snap, backend), backend);

    mb::http::Router router;
    auto handler = [&service](const mb::http::Request& req, mb::http::Responder respond) {
        respond(service->handle(req));
    };
    mb::http::RouteOptions opts;
    // The Service answers 413 with a Redfish message above redfish.max_body; the server's own
    // plain 413 only guards memory against bodies far beyond it.
    const size_t hard_limit = std::max<size_t>(4u << 20, size_t{rs.max_body} * 4);
    opts.max_body = hard_limit;
    opts.name = "redfish";
    router.mount("/redfish", handler, "*", opts);
    router.set_not_found([&service](const mb::http::Request& req) { return service->handle(req); });

    mb::http::ServerOptions options;
    options.server_name = "mb-redfish";
    options.max_body_bytes = hard_limit;
    mb::http::Server server(d.io(), router, options);

    std::string cert = rs.tls.cert.empty() ? "" : snap->tree.resolve(rs.tls.cert).string();
    std::string key = rs.tls.key.empty() ? "" : snap->tree.resolve(rs.tls.key).string();
    if (cert.empty() != key.empty()) throw mb::config_error("redfish.tls: set both cert and key, or neither");
    if (cert.empty()) {
        auto dir = snap->tree.state_dir("redfish") / "tls";
        std::filesystem::create_directories(dir);
        cert = (dir / "cert.pem").string();
        key = (dir / "key.pem").string();
        mb::http::SelfSignedOptions so;
        so.common_name = "mb-redfish";
        if (mb::http::ensure_self_signed(cert, key, so))
            mb::log::info("generated a self-signed certificate {} (SHA256 {})", cert,
                          mb::http::certificate_fingerprint(cert));
    }
    auto port = server.listen({rs.address, rs.port, mb::http::TlsFiles{cert, key}});
    mb::log::info("Redfish service on https://{}:{}/redfish/v1/", rs.address, port);
    if (rs.http_port != 0) {
        auto hp = server.listen({rs.address, rs.http_port, std::nullopt});
        mb::log::info("plain HTTP on {}:{}{}", rs.address, hp,
                      rs.http_credentials ? " (credentials accepted: development only)" : " (no credentials accepted)");
    }
    d.status(fmt::format("serving {} devices", snap->devices.size()));
    d.on_reload([&](const mb::daemon::Snapshot& next) {
        backend.set_snapshot(next);
        try {
            service->set_virtual_media_ca(virtual_media_ca(*next));
        } catch (const mb::Error& e) {
            mb::log::error("{} (the previous CA certificates stay in force)", e.what());
        }
        mb::log::info("reloaded: {} devices", next->devices.size());
        d.status(fmt::format("serving {} devices", next->devices.size()));
    });
    d.on_stop([&] { server.stop(); });
    // Our own writes to firmware/<mac>.json need no reload (every request reads it afresh).
    d.set_reload_filter([](const std::string& path) {
        return path.rfind("firmware/", 0) != 0 && path.rfind("state/redfish/", 0) != 0;
    });
    int rc = d.run();
    backend.drain();
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    return mb::cli::run_tool(argc, argv, "mb-redfish",
                             "Redfish service for the fleet: power via PoE, boot overrides and BIOS via UEFI variables",
                             [](CLI::App& app, mb::cli::GlobalOptions& g) {
                                 auto* s =
                                     app.add_subcommand("serve", "Run the Redfish HTTPS service in the foreground");
                                 s->callback([&g] { mb::cli::set_exit_code(serve(g)); });
                             });
}
