// mb-http: iPXE scripts, kernels/initrds/images, the inspection callback, boot logs.
#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <fstream>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "http/tls_cert.hpp"
#include "log/log.hpp"

namespace {

mb::http::Listen parse_listen(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) throw mb::usage_error("--listen wants ADDRESS:PORT, got " + mb::quoted(text));
    auto port = mb::parse_uint(text.substr(colon + 1), 65535);
    if (!port) throw mb::usage_error("bad port in " + mb::quoted(text));
    std::string addr = text.substr(0, colon);
    if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    return {addr, static_cast<uint16_t>(*port), std::nullopt};
}

}  // namespace

int main(int argc, char** argv) {
    mb::log::set_program("mb-http");
    CLI::App app("mb-http: iPXE scripts, boot files and the inspection callback");
    app.require_subcommand(1);
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off");

    auto* serve = app.add_subcommand("serve", "Run the HTTP server in the foreground");
    std::vector<std::string> listens, tls_listens;
    std::string static_root, cert, key, port_file;
    bool no_access_log = false;
    serve->add_option("--listen", listens, "ADDRESS:PORT for plain HTTP (repeatable)");
    serve->add_option("--tls-listen", tls_listens, "ADDRESS:PORT for HTTPS (repeatable)");
    serve->add_option("--static", static_root, "Directory served under /");
    serve->add_option("--tls-cert", cert, "PEM certificate (generated self-signed if missing)");
    serve->add_option("--tls-key", key, "PEM key");
    serve->add_option("--port-file", port_file, "Write the bound ports here (one per line)");
    serve->add_flag("--no-access-log", no_access_log, "Do not log each request");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : mb::kExitUsage;
    }
    try {
        mb::log::set_level(mb::log::parse_level(log_level));
        if (serve->parsed()) {
            boost::asio::io_context ioc;
            mb::http::Router router;
            router.get("/healthz", [](const mb::http::Request&) { return mb::http::text_response(200, "ok\n"); });
            std::unique_ptr<mb::http::StaticFiles> files;
            if (!static_root.empty()) {
                files = std::make_unique<mb::http::StaticFiles>(static_root);
                router.mount("/", [&files](const mb::http::Request& req, mb::http::Responder respond) {
                    respond(files->serve(req, req.param("path")));
                }, "GET", {.name = "static"});
            }
            mb::http::ServerOptions options;
            options.access_log = !no_access_log;
            mb::http::Server server(ioc, router, options);
            std::string ports;
            for (const auto& l : listens) ports += std::to_string(server.listen(parse_listen(l))) + "\n";
            for (const auto& l : tls_listens) {
                auto spec = parse_listen(l);
                if (cert.empty() || key.empty()) throw mb::usage_error("--tls-listen needs --tls-cert and --tls-key");
                mb::http::ensure_self_signed(cert, key, {});
                spec.tls = mb::http::TlsFiles{cert, key};
                ports += std::to_string(server.listen(spec)) + "\n";
            }
            if (!port_file.empty()) std::ofstream(port_file) << ports;
            boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
            signals.async_wait([&](const boost::system::error_code&, int) { server.stop(); ioc.stop(); });
            ioc.run();
        }
        return 0;
    } catch (const mb::Error& e) {
        std::fprintf(stderr, "mb-http: %s\n", e.what());
        return e.code();
    }
}
