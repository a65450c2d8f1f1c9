// mb-http: iPXE scripts, kernels/initrds/images, the inspection callback, boot logs.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/tool.hpp"
#include "config/atomic_file.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "daemon/daemon.hpp"
#include "http/server.hpp"
#include "http/tls_cert.hpp"
#include "inventory/inventory.hpp"
#include "log/log.hpp"
#include "log_receiver.hpp"
#include "service.hpp"

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

struct ServeOptions {
    std::vector<std::string> listen;
    int log_port = -1;
    std::string port_file;
};

mb::http::ServerOptions server_options(const mb::config::HttpSettings& h) {
    mb::http::ServerOptions o;
    o.server_name = "mb-http";
    o.max_header_bytes = h.max_header_bytes;
    o.max_body_bytes = 1024 * 1024;
    o.header_timeout = std::chrono::milliseconds(h.header_timeout_ms);
    o.idle_timeout = std::chrono::milliseconds(h.idle_timeout_ms);
    o.body_timeout = std::chrono::milliseconds(h.body_timeout_ms);
    o.write_timeout = std::chrono::milliseconds(h.write_timeout_ms);
    o.max_connections = h.max_connections;
    o.access_log = h.access_log;
    return o;
}

int serve(const mb::cli::GlobalOptions& g, const ServeOptions& so) {
    mb::daemon::Daemon d("mb-http", g.tree());
    auto snap = d.start();
    const auto& h = snap->settings.http;
    mbhttp::Service service(snap);
    auto options = server_options(h);
    options.on_exchange = [&service](const mb::http::Exchange& e) { service.metrics().observe(e); };
    mb::http::Server server(d.io(), service.router(), options);
    std::vector<mb::http::Listen> listens;
    if (!so.listen.empty()) {
        for (const auto& l : so.listen) listens.push_back(parse_listen(l));
    } else {
        listens.push_back({h.address, h.port, std::nullopt});
    }
    if (!h.tls.cert.empty()) {
        const auto cert = snap->tree.resolve(h.tls.cert).string();
        const auto key = snap->tree.resolve(h.tls.key.empty() ? h.tls.cert + ".key" : h.tls.key).string();
        if (mb::http::ensure_self_signed(cert, key, {}))
            mb::log::warn("generated a self-signed certificate {} (SHA256 {})", cert,
                          mb::http::certificate_fingerprint(cert));
        for (auto& l : listens) l.tls = mb::http::TlsFiles{cert, key};
    }
    std::string ports;
    for (const auto& l : listens) ports += std::to_string(server.listen(l)) + "\n";
    std::unique_ptr<mbhttp::LogReceiver> logs;
    if (so.log_port >= 0 || h.log_port != 0) {
        auto log_snap = std::make_shared<mb::config::Snapshot>(*snap);
        if (so.log_port >= 0) log_snap->settings.http.log_port = static_cast<uint16_t>(so.log_port);
        logs = std::make_unique<mbhttp::LogReceiver>(d.io(), log_snap, service.metrics());
        ports += std::to_string(logs->port()) + "\n";
    }
    if (!so.port_file.empty()) mb::config::write_file_atomic(so.port_file, ports);
    d.on_reload([&](const mb::daemon::Snapshot& next) {
        service.apply(next);
        if (logs) logs->apply(next);
        if (next->settings.http.port != h.port || next->settings.http.address != h.address)
            mb::log::warn("http.address/http.port changed: restart mb-http to listen there");
    });
    d.on_stop([&] {
        server.stop();
        if (logs) logs->close();
    });
    d.status("serving");
    return d.run();
}

void render(const mb::cli::GlobalOptions& g, const std::string& mac_text, const std::string& base, bool generic) {
    const auto snap = g.load();
    const std::string url = base.empty() ? mbhttp::base_url(*snap, "", 0, !snap->settings.http.tls.cert.empty()) : base;
    const auto ctx = mbhttp::script_context(*snap, url);
    mb::ipxe::Script script;
    if (generic) {
        script = mb::ipxe::render_generic_script(ctx, mbhttp::template_lookup(snap->tree));
    } else {
        const auto mac = mb::device::Mac::parse_or_throw(mac_text);
        script = mb::ipxe::render_device_script(snap->effective(mac), ctx, mbhttp::template_lookup(snap->tree));
    }
    if (g.json) {
        nlohmann::ordered_json j;
        j["kind"] = script.kind;
        j["source"] = script.source;
        j["script"] = script.text;
        mb::cli::print_json(j);
    } else {
        std::fwrite(script.text.data(), 1, script.text.size(), stdout);
    }
}

std::filesystem::path inventory_dir(const mb::cli::GlobalOptions& g) { return g.tree().state_dir("http") / "inventory"; }

void inventory_list(const mb::cli::GlobalOptions& g) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(inventory_dir(g), ec))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        try {
            out.push_back(mb::inventory::summary(nlohmann::json::parse(mb::config::read_file(f))));
        } catch (const nlohmann::json::exception&) {
            mb::log::warn("{} is not valid JSON; skipped", f.string());
        }
    }
    if (g.json || !isatty(STDOUT_FILENO)) {
        mb::cli::print_json(out);
        return;
    }
    std::printf("%-19s %-20s %-20s %4s %8s %5s\n", "MAC", "DEVICE", "RECEIVED", "CPUS", "MEM_MB", "DISKS");
    for (const auto& s : out)
        std::printf("%-19s %-20s %-20s %4s %8s %5s\n", s["mac"].get<std::string>().c_str(),
                    s["device_id"].get<std::string>().c_str(), s["received_at"].get<std::string>().c_str(),
                    s["cpus"].dump().c_str(), s["memory_mb"].dump().c_str(), s["disks"].dump().c_str());
}

void inventory_show(const mb::cli::GlobalOptions& g, const std::string& mac_text) {
    const auto mac = mb::device::Mac::parse_or_throw(mac_text);
    const auto file = inventory_dir(g) / (mac.dashed() + ".json");
    auto text = mb::config::read_file_if_exists(file);
    if (!text) throw mb::no_input("no inventory for " + mac.colon() + " (" + g.tree().display(file) + ")");
    try {
        mb::cli::print_json(nlohmann::ordered_json::parse(*text));
    } catch (const nlohmann::json::exception& e) {
        throw mb::data_error(g.tree().display(file) + ": " + e.what());
    }
}

void show_logs(const mb::cli::GlobalOptions& g, const std::string& who, bool follow) {
    std::string name = who;
    if (auto mac = mb::device::Mac::parse(who)) name = mac->dashed();
    const auto path = mbhttp::log_path(g.tree(), name);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && !follow) throw mb::no_input("no boot log for " + who + " (" + path + ")");
    char buf[65536];
    ino_t ino = 0;
    for (;;) {
        if (fd >= 0) {
            ssize_t n;
            while ((n = ::read(fd, buf, sizeof buf)) > 0) {
                std::fwrite(buf, 1, static_cast<size_t>(n), stdout);
            }
            std::fflush(stdout);
        }
        if (!follow) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        // Rotated or created meanwhile: reopen from the start of the new file.
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && (fd < 0 || st.st_ino != ino)) {
            if (fd >= 0) {
                ssize_t n;
                while ((n = ::read(fd, buf, sizeof buf)) > 0) std::fwrite(buf, 1, static_cast<size_t>(n), stdout);
                ::close(fd);
            }
            fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        }
        if (fd >= 0) {
            struct stat cur {};
            if (::fstat(fd, &cur) == 0) ino = cur.st_ino;
        }
    }
    if (fd >= 0) ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
    return mb::cli::run_tool(
        argc, argv, "mb-http", "iPXE scripts, boot files, the IPA inspection callback and boot logs over HTTP",
        [](CLI::App& app, mb::cli::GlobalOptions& g) {
            static ServeOptions so;
            auto* serve_cmd = app.add_subcommand("serve", "Run the HTTP server and boot-log receiver in the foreground");
            serve_cmd->add_option("--listen", so.listen,
                                  "ADDRESS:PORT to listen on instead of http.address/http.port (repeatable; port 0 "
                                  "picks a free one)");
            serve_cmd->add_option("--log-port", so.log_port, "UDP port of the boot-log receiver (0: any free port)");
            serve_cmd->add_option("--port-file", so.port_file,
                                  "Write the bound TCP ports, then the UDP log port, one per line");
            serve_cmd->callback([&g] { mb::cli::set_exit_code(serve(g, so)); });

            static std::string mac, base;
            static bool generic = false;
            auto* render_cmd = app.add_subcommand("render", "Print the iPXE script a device gets");
            render_cmd->add_option("mac", mac, "Device MAC address (any spelling)");
            render_cmd->add_option("--base-url", base, "Base URL of mb-http in the script (default from the config)");
            render_cmd->add_flag("--generic", generic, "Print the generic /boot.ipxe instead");
            render_cmd->callback([&g] {
                if (!generic && mac.empty()) throw mb::usage_error("render needs a MAC address (or --generic)");
                render(g, mac, base, generic);
            });

            auto* inv = app.add_subcommand("inventory", "Hardware inventories posted by IPA");
            inv->require_subcommand(1);
            auto* list = inv->add_subcommand("list", "One summary line per device");
            list->callback([&g] { inventory_list(g); });
            static std::string show_mac;
            auto* show = inv->add_subcommand("show", "The stored inspection document of a device (JSON)");
            show->add_option("mac", show_mac, "Device MAC address")->required();
            show->callback([&g] { inventory_show(g, show_mac); });

            static std::string log_who;
            static bool follow = false;
            auto* logs = app.add_subcommand("logs", "Print a device's boot log received over netconsole/syslog");
            logs->add_option("mac", log_who, "Device MAC address (or sender IP for unknown devices)")->required();
            logs->add_flag("-f,--follow", follow, "Keep printing new lines");
            logs->callback([&g] { show_logs(g, log_who, follow); });
        });
}
