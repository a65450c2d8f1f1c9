#include "verbs.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "catalog.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "daemon/daemon.hpp"
#include "log/log.hpp"
#include "server.hpp"
#include "tftp/path.hpp"

namespace mb::tftp {

namespace {

struct ServeFlags {
    std::string listen;
    int port = -1;
    bool single_port = false;
    uint32_t max_blksize = 0;
    uint32_t max_windowsize = 0;
    uint32_t timeout_ms = 0;
    uint32_t retries = 0;
    size_t max_sessions = 4096;
    std::string capture;
    std::string port_file;
};

ServerOptions server_options(const config::TftpSettings& s, const ServeFlags& f) {
    ServerOptions o;
    o.address = f.listen.empty() ? s.address : f.listen;
    o.port = f.port >= 0 ? static_cast<uint16_t>(f.port) : s.port;
    o.single_port = f.single_port || s.single_port;
    o.limits.max_blksize = f.max_blksize ? f.max_blksize : s.max_blksize;
    o.limits.max_windowsize =
        static_cast<uint16_t>(std::min<uint32_t>(64, f.max_windowsize ? f.max_windowsize : s.max_windowsize));
    o.retry.initial_rto = std::chrono::milliseconds(f.timeout_ms ? f.timeout_ms : s.timeout_ms);
    o.retry.max_rto = std::max(o.retry.initial_rto, std::chrono::milliseconds(8000));
    o.retry.max_retries = f.retries ? f.retries : s.retries;
    o.max_sessions = f.max_sessions;
    o.capture_path = f.capture;
    o.write_dirs = s.write_dirs;
    o.write_max_bytes = s.write_max_bytes;
    o.write_overwrite = s.write_overwrite;
    return o;
}

std::optional<device::Mac> parse_device(const std::string& text, const config::Snapshot& snap) {
    if (text.empty() || text == "-") return std::nullopt;
    if (auto m = device::Mac::parse(text)) return m;
    if (auto serial = device::PiSerial::parse(text)) {
        if (auto m = snap.find_by_serial(*serial)) return m;
    }
    if (auto m = snap.find_by_id(text)) return m;
    throw usage_error(fmt::format("{} is not a MAC address, a known Pi serial or a device name", mb::quoted(text)));
}

std::string normalized_or_throw(const std::string& path) {
    auto n = normalize_name(path);
    if (auto* e = std::get_if<PathError>(&n)) throw usage_error(fmt::format("{}: {}", mb::quoted(path), e->message));
    return std::get<std::string>(n);
}

}  // namespace

void add_verbs(CLI::App& app, cli::GlobalOptions& g) {
    auto flags = std::make_shared<ServeFlags>();
    auto* serve = app.add_subcommand("serve", "Run the TFTP server in the foreground");
    serve->add_option("--listen", flags->listen, "IPv4 address to listen on (default: tftp.address)")
        ->type_name("ADDRESS");
    serve->add_option("--port", flags->port, "UDP port (default: tftp.port, 69; 0 picks a free port)")
        ->type_name("PORT")
        ->check(CLI::Range(0, 65535));
    serve->add_flag("--single-port", flags->single_port, "Serve every transfer from the listening port (NAT)");
    serve->add_option("--max-blksize", flags->max_blksize, "Largest block size granted (default: tftp.max_blksize)")
        ->type_name("BYTES")
        ->check(CLI::Range(8, 65464));
    serve
        ->add_option("--max-windowsize", flags->max_windowsize,
                     "Largest window size granted (default: tftp.max_windowsize)")
        ->type_name("BLOCKS")
        ->check(CLI::Range(1, 64));
    serve->add_option("--timeout-ms", flags->timeout_ms, "Initial retransmission timeout (default: tftp.timeout_ms)")
        ->type_name("MS")
        ->check(CLI::Range(100, 255000));
    serve
        ->add_option("--retries", flags->retries,
                     "Retransmissions before a transfer is abandoned (default: tftp.retries)")
        ->type_name("N")
        ->check(CLI::Range(1, 50));
    serve
        ->add_option("--max-transfers", flags->max_sessions,
                     "Concurrent transfers before new requests get 'Server busy'")
        ->type_name("N")
        ->check(CLI::Range(1, 100000));
    serve->add_option("--capture", flags->capture, "Write every TFTP datagram to this pcap file")->type_name("FILE");
    serve->add_option("--port-file", flags->port_file, "Write the bound UDP port to this file once listening")
        ->type_name("FILE");
    serve->callback([&g, flags] {
        daemon::Daemon d("mb-tftp", g.tree());
        auto config = d.start();
        const auto& settings = config->settings.tftp;
        if (!settings.enabled) {
            log::warn("tftp.enabled is false in metal-boot.yaml: not serving");
            cli::set_exit_code(kExitOk);
            return;
        }
        if (!settings.write_dirs.empty())
            log::info("uploads accepted beneath {} (up to {} bytes each{})", mb::join(settings.write_dirs, ", "),
                      settings.write_max_bytes, settings.write_overwrite ? ", may overwrite" : "");
        Catalog catalog(config);
        Server server(d.io(), catalog, server_options(config->settings.tftp, *flags));
        if (!flags->port_file.empty()) std::ofstream(flags->port_file) << server.port() << "\n";
        log::info("serving TFTP on {}:{} ({} mode)",
                  flags->listen.empty() ? config->settings.tftp.address : flags->listen, server.port(),
                  flags->single_port || config->settings.tftp.single_port ? "single-port" : "port-per-transfer");
        d.status(fmt::format("serving TFTP on port {}", server.port()));
        d.on_reload([&catalog](const daemon::Snapshot& s) { catalog.update(s); });
        d.on_stop([&server] {
            const auto st = server.stats();
            log::info(
                "stopping: {} requests, {} transfers completed, {} probes, {} failed ({} client gone), {} "
                "refused, {} uploads, {} bytes, {} GSO sends ({} transfers without GSO)",
                st.requests, st.completed, st.probes, st.failed, st.unreachable, st.refused, st.uploads, st.bytes,
                st.gso_sends, st.gso_refused);
            server.close();
        });
        cli::set_exit_code(d.run());
    });

    auto device = std::make_shared<std::string>();
    auto path = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    auto* render = app.add_subcommand("render", "Write the exact bytes a device would receive for a path");
    render->add_option("device", *device, "MAC address, Pi serial or device name ('-' for an unknown device)")
        ->required();
    render->add_option("path", *path, "Requested file name, e.g. RPI_EFI.fd or 5b154510/config.txt")->required();
    render->add_option("-o,--output", *output, "Write to FILE instead of stdout")->type_name("FILE");
    render->callback([&g, device, path, output] {
        auto snap = g.load();
        Catalog catalog(snap);
        MappedRequest m = catalog.map(normalized_or_throw(*path), "");
        if (auto mac = parse_device(*device, *snap)) {
            if (!m.mac) m.via = IdentitySource::source_ip;
            m.mac = mac;
        }
        auto r = catalog.open(m);
        if (auto* e = std::get_if<PathError>(&r)) throw no_input(fmt::format("{}: {}", *path, e->message));
        const auto& res = std::get<Resolved>(r);
        auto bytes = read_all(*res.source);
        if (g.json && output->empty()) {
            nlohmann::ordered_json j;
            j["path"] = m.relative;
            j["device"] = m.mac ? m.mac->colon() : "";
            j["size"] = bytes.size();
            j["origin"] = res.origin;
            j["sha256"] = sha256_hex(bytes);
            cli::print_json(j);
            return;
        }
        if (output->empty()) {
            std::fwrite(bytes.data(), 1, bytes.size(), stdout);
            std::fflush(stdout);
        } else {
            std::ofstream out(*output, std::ios::binary);
            out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
            if (!out) throw io_error(*output + ": cannot write");
        }
        log::info("{} for {}: {} bytes ({})", m.relative, m.mac ? m.mac->colon() : "unknown device", bytes.size(),
                  res.origin);
    });

    auto ls_device = std::make_shared<std::string>();
    auto* ls = app.add_subcommand("ls", "List the files a device sees, with sizes and where each comes from");
    ls->add_option("device", *ls_device, "MAC address, Pi serial or device name ('-' for an unknown device)")
        ->required();
    ls->callback([&g, ls_device] {
        auto snap = g.load();
        Catalog catalog(snap);
        const auto mac = parse_device(*ls_device, *snap);
        auto entries = catalog.list(mac);
        if (g.json) {
            nlohmann::ordered_json out = nlohmann::ordered_json::array();
            for (const auto& e : entries) out.push_back({{"name", e.name}, {"size", e.size}, {"origin", e.origin}});
            cli::print_json(out);
            return;
        }
        for (const auto& e : entries)
            std::printf("%12llu  %-18s %s\n", static_cast<unsigned long long>(e.size), e.origin.c_str(),
                        e.name.c_str());
    });

    auto pcap_path = std::make_shared<std::string>();
    auto server_port = std::make_shared<uint16_t>(69);
    auto* dec = app.add_subcommand("decode", "Explain the TFTP transfers in a packet capture");
    dec->add_option("capture", *pcap_path, "pcap or pcapng file")->required()->check(CLI::ExistingFile);
    dec->add_option("--server-port", *server_port, "UDP port requests go to (default 69)")->type_name("PORT");
    dec->callback([&g, pcap_path, server_port] {
        auto report = decode_capture(*pcap_path, *server_port);
        if (g.json) {
            cli::print_json(report);
            return;
        }
        for (const auto& t : report["transfers"]) {
            std::printf("%s %s -> %s %s %s: %s, %llu bytes, %llu blocks, %llu retransmits, %.3f s",
                        t["start"].get<std::string>().c_str(), t["client"].get<std::string>().c_str(),
                        t["server"].get<std::string>().c_str(), t["opcode"].get<std::string>().c_str(),
                        mb::quoted(t["file"].get<std::string>()).c_str(), t["outcome"].get<std::string>().c_str(),
                        static_cast<unsigned long long>(t["bytes"].get<uint64_t>()),
                        static_cast<unsigned long long>(t["blocks"].get<uint64_t>()),
                        static_cast<unsigned long long>(t["retransmits"].get<uint64_t>()), t["seconds"].get<double>());
            if (t.contains("throughput_bps")) std::printf(", %.0f B/s", t["throughput_bps"].get<double>());
            if (t.contains("error")) std::printf(", error %s", mb::quoted(t["error"].get<std::string>()).c_str());
            std::printf("\n");
        }
    });
}

}  // namespace mb::tftp
