#include "verbs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "config/atomic_file.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "daemon/daemon.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "log/log.hpp"
#include "talos/cache_policy.hpp"
#include "talos/decompress.hpp"
#include "talos/digest.hpp"
#include "talos/version.hpp"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace mb::talos_tool {

namespace {

struct Context {
    config::TalosSettings settings;
    fs::path cache_dir;
};

Context context(const cli::GlobalOptions& g, const Overrides& o) {
    const auto snapshot = g.load(config::LoadOptions{.include_state = false, .include_backend = false});
    Context c;
    c.settings = snapshot->settings.talos;
    if (!o.base_url.empty()) c.settings.base_url = o.base_url;
    c.cache_dir =
        o.cache_dir.empty() ? talos::cache_directory(c.settings, snapshot->tree.root()) : fs::path(o.cache_dir);
    return c;
}

std::shared_ptr<talos::Service> service(const cli::GlobalOptions& g, const Overrides& o) {
    const auto c = context(g, o);
    return talos::Service::create(talos::service_options(c.settings, c.cache_dir));
}

void print_json(const ordered_json& doc) {
    cli::print_json(doc);
}

http::Listen parse_listen(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) throw usage_error("--listen wants ADDRESS:PORT, got " + mb::quoted(text));
    const auto port = parse_uint(text.substr(colon + 1), 65535);
    if (!port) throw usage_error("bad port in --listen " + mb::quoted(text));
    std::string addr = text.substr(0, colon);
    if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    if (addr.empty()) addr = "0.0.0.0";
    return {addr, static_cast<uint16_t>(*port), std::nullopt};
}

std::string concrete_version(talos::Service& svc, const std::string& version) {
    talos::Selection sel;
    sel.version = version;
    sel.extensions = std::vector<std::string>{};
    return svc.resolve(sel).version;
}

std::string human_size(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        ++u;
    }
    return fmt::format("{:.1f} {}", bytes, units[u]);
}

ordered_json entry_json(const talos::CacheEntry& e) {
    const auto t = std::chrono::system_clock::to_time_t(e.last_used);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return {{"version", e.key.version}, {"schematic", e.key.schematic}, {"name", e.key.name}, {"path", e.path.string()},
            {"size", e.size},           {"sha256", e.sha256},           {"last_used", when},  {"in_use", e.in_use}};
}

talos::Selection selection_of(const SelectionArgs& a) {
    talos::Selection s;
    s.version = a.version;
    if (a.extensions_given) s.extensions = talos::split_list(a.extensions);
    s.overlay = a.overlay;
    s.extra_kernel_args = talos::split_list(a.kernel_args);
    return s;
}

}  // namespace

void cmd_serve(const cli::GlobalOptions& g, const Overrides& o, const ServeArgs& a) {
    daemon::Daemon d("mb-talos", g.tree(), config::LoadOptions{.include_state = false, .include_backend = false});
    const auto snapshot = d.start();
    auto settings = snapshot->settings.talos;
    if (!o.base_url.empty()) settings.base_url = o.base_url;
    const fs::path cache_dir =
        o.cache_dir.empty() ? talos::cache_directory(settings, snapshot->tree.root()) : fs::path(o.cache_dir);
    if (!settings.enabled)
        log::warn("talos.enabled is false in {}; serving anyway as asked", snapshot->tree.settings_file().string());
    auto svc = talos::Service::create(talos::service_options(settings, cache_dir));
    svc->open(settings.verify_on_start && !a.no_verify);
    http::Router router;
    router.mount("/images/talos",
                 [svc](const http::Request& req, http::Responder respond) { svc->handle_async(req, respond); }, "*",
                 {.name = "talos"});
    http::ServerOptions options;
    options.server_name = "mb-talos";
    http::Server server(d.io(), router, options);
    const auto port = server.listen(parse_listen(a.listen.empty() ? settings.listen : a.listen));
    if (!a.port_file.empty()) config::write_file_atomic(a.port_file, std::to_string(port) + "\n");
    d.on_stop([&server] { server.stop(); });
    d.on_reload([](const daemon::Snapshot&) {
        log::info("configuration reloaded; talos.* changes take effect when mb-talos serve restarts");
    });
    d.status("serving /images/talos/ on port " + std::to_string(port));
    log::info("serving /images/talos/ on port {} from {} (cache {}, budget {})", port, settings.base_url,
              cache_dir.string(), settings.max_cache_size ? human_size(double(settings.max_cache_size)) : "unlimited");
    const int rc = d.run();
    if (rc != 0) cli::set_exit_code(rc);
}

void cmd_versions(const cli::GlobalOptions& g, const Overrides& o) {
    auto svc = service(g, o);
    const auto list = svc->versions();
    const auto latest = talos::latest_stable(list);
    if (g.json) {
        print_json({{"versions", list}, {"latest", latest ? ordered_json(*latest) : ordered_json(nullptr)}});
        return;
    }
    for (const auto& v : list) std::cout << v << (latest && v == *latest ? "\tlatest" : "") << "\n";
}

void cmd_extensions(const cli::GlobalOptions& g, const Overrides& o, const std::string& version) {
    auto svc = service(g, o);
    const auto v = concrete_version(*svc, version);
    const auto list = svc->extensions(v);
    if (g.json) {
        ordered_json out = ordered_json::array();
        for (const auto& e : list)
            out.push_back({{"name", e.name},
                           {"ref", e.ref},
                           {"digest", e.digest},
                           {"author", e.author},
                           {"description", e.description}});
        print_json(out);
        return;
    }
    for (const auto& e : list) std::cout << e.name << "\t" << e.ref << "\n";
}

void cmd_overlays(const cli::GlobalOptions& g, const Overrides& o, const std::string& version) {
    auto svc = service(g, o);
    const auto v = concrete_version(*svc, version);
    const auto list = svc->overlays(v);
    if (g.json) {
        ordered_json out = ordered_json::array();
        for (const auto& o : list)
            out.push_back({{"name", o.name}, {"image", o.image}, {"ref", o.ref}, {"digest", o.digest}});
        print_json(out);
        return;
    }
    for (const auto& o : list) std::cout << o.name << "\t" << o.image << "\t" << o.ref << "\n";
}

void cmd_schematic(const cli::GlobalOptions& g, const Overrides& o, const SelectionArgs& a, bool offline,
                   bool show_yaml) {
    talos::Resolved r;
    if (offline) {
        const auto c = context(g, o);
        r.schematic.extensions = a.extensions_given ? talos::split_list(a.extensions) : c.settings.default_extensions;
        for (auto& e : r.schematic.extensions)
            if (e.find('/') == std::string::npos) e = "siderolabs/" + e;
        if (!a.overlay.empty()) {
            if (a.overlay != "rpi_generic" && a.overlay != "rpi-generic")
                throw usage_error("--offline knows only the rpi_generic overlay's image; run online for " +
                                  mb::quoted(a.overlay));
            r.schematic.overlay_name = "rpi_generic";
            r.schematic.overlay_image = "siderolabs/sbc-raspberrypi";
        }
        r.schematic.extra_kernel_args = talos::split_list(a.kernel_args);
        r.schematic.normalize();
        r.local_id = r.schematic_id = talos::schematic_id(r.schematic);
    } else {
        r = service(g, o)->resolve(selection_of(a));
    }
    const auto yaml = talos::canonical_yaml(r.schematic);
    if (g.json) {
        ordered_json out{{"id", r.schematic_id}, {"local_id", r.local_id}, {"yaml", yaml}};
        if (!r.version.empty()) out["version"] = r.version;
        print_json(out);
        return;
    }
    std::cout << r.schematic_id << "\n";
    if (show_yaml) std::cout << yaml;
}

void cmd_fetch(const cli::GlobalOptions& g, const Overrides& o, const FetchArgs& a) {
    auto svc = service(g, o);
    talos::Selection selection;
    selection.version = a.version;
    if (a.extensions_given) selection.extensions = talos::split_list(a.extensions);
    selection.overlay = a.overlay;
    if (!talos::known_platform(a.platform)) throw usage_error("unknown platform " + mb::quoted(a.platform));
    const auto r = svc->resolve(selection);
    std::string name = a.asset;
    if (name.empty()) {
        // The platform's default image: metal .raw.zst, others .raw.xz; an SBC overlay image is .raw.xz.
        const bool zst = a.platform == "metal" && r.schematic.overlay_name.empty();
        name = a.platform + "-" + a.arch + ".raw." + (zst ? "zst" : "xz");
    }
    const auto req = talos::parse_asset(name, a.arch, svc->options().raw_source);
    if (req.checksum) throw usage_error("fetch downloads images; the .sha256 is printed after the download");
    const auto& asset = req.asset;
    const auto path = "/image/" + r.schematic_id + "/" + r.version + "/" + asset.upstream_path;
    const fs::path out = a.output;
    const fs::path part = out.string() + ".part";
    const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(kExitCantCreate, "cannot create " + part.string() + ": " + std::strerror(errno));
    const bool tty = !a.no_progress && !g.json && ::isatty(2);
    auto decoder = talos::make_decompressor(asset.decompress);
    talos::Sha256 hash;
    uint64_t written = 0;
    const auto sink = [&](const char* d, size_t n) {
        for (size_t off = 0; off < n;) {
            const ssize_t w = ::write(fd, d + off, n - off);
            if (w < 0) {
                if (errno == EINTR) continue;
                throw io_error("cannot write " + part.string(), errno);
            }
            off += static_cast<size_t>(w);
        }
        hash.update(d, n);
        written += n;
    };
    const auto start = std::chrono::steady_clock::now();
    talos::FactoryClient::Handlers h;
    h.on_data = [&](std::string_view d) { decoder->feed(d, sink); };
    if (tty)
        h.on_progress = [&](uint64_t now, std::optional<uint64_t> total) {
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const double rate = secs > 0 ? double(now) / secs : 0;
            std::string bar;
            if (total && *total > 0) {
                const int width = 30, filled = static_cast<int>(double(now) / double(*total) * width);
                bar = "[" + std::string(std::min(filled, width), '=') +
                      std::string(width - std::min(filled, width), ' ') +
                      fmt::format("] {:3.0f}% ", 100.0 * double(now) / double(*total));
            }
            std::fprintf(stderr, "\r%s%s %s/s   ", bar.c_str(), human_size(double(now)).c_str(),
                         human_size(rate).c_str());
        };
    try {
        svc->client().download(path, h);
        decoder->finish(sink);
        if (::fsync(fd) != 0) throw io_error("fsync of " + part.string() + " failed", errno);
        ::close(fd);
        fs::rename(part, out);
    } catch (...) {
        ::close(fd);
        std::error_code ec;
        fs::remove(part, ec);
        if (tty) std::fputs("\n", stderr);
        throw;
    }
    if (tty) std::fputs("\n", stderr);
    const auto hex = hash.final_hex();
    if (g.json) {
        print_json({{"file", out.string()},
                    {"bytes", written},
                    {"sha256", hex},
                    {"version", r.version},
                    {"schematic", r.schematic_id},
                    {"asset", asset.served_name},
                    {"url", svc->client().url(path)},
                    {"decompressed", std::string(talos::codec_name(asset.decompress))}});
    } else {
        std::cout << talos::sha256sum_line(hex, out.string());
    }
    log::info("fetched {} ({}) for Talos {} schematic {}", out.string(), human_size(double(written)), r.version,
              r.schematic_id);
}

void cmd_ipxe(const cli::GlobalOptions& g, const Overrides& o, const IpxeArgs& a) {
    auto svc = service(g, o);
    svc->cache().open(false);
    talos::Selection sel;
    sel.version = a.version;
    if (a.extensions_given) sel.extensions = talos::split_list(a.extensions);
    sel.overlay = a.overlay;
    const auto b = svc->boot_assets(sel, a.arch, a.url_base);
    if (g.json) {
        print_json({{"version", b.version},
                    {"schematic", b.schematic_id},
                    {"arch", b.arch},
                    {"kernel_url", b.kernel_url},
                    {"initramfs_url", b.initramfs_url},
                    {"cmdline", b.cmdline},
                    {"kernel_file", b.kernel_file.string()},
                    {"initramfs_file", b.initramfs_file.string()}});
        return;
    }
    std::cout << talos::ipxe_script(b);
}

void cmd_cache_list(const cli::GlobalOptions& g, const Overrides& o) {
    auto svc = service(g, o);
    svc->cache().open(false);
    const auto list = svc->cache().list();
    if (g.json) {
        ordered_json out = ordered_json::array();
        for (const auto& e : list) out.push_back(entry_json(e));
        print_json(out);
        return;
    }
    for (const auto& e : list) std::cout << e.key.relative() << "\t" << e.size << "\t" << e.sha256 << "\n";
}

void cmd_cache_verify(const cli::GlobalOptions& g, const Overrides& o, bool remove_bad) {
    auto svc = service(g, o);
    svc->cache().open(false);
    const auto report = svc->cache().verify(remove_bad);
    if (g.json) {
        ordered_json bad = ordered_json::array();
        for (const auto& [e, why] : report.bad) {
            auto j = entry_json(e);
            j["error"] = why;
            j["removed"] = remove_bad;
            bad.push_back(j);
        }
        print_json({{"good", report.good.size()}, {"bad", bad}});
    } else {
        for (const auto& e : report.good) std::cout << e.key.relative() << ": OK\n";
        for (const auto& [e, why] : report.bad)
            std::cout << e.key.relative() << ": FAILED (" << why << ")" << (remove_bad ? " removed" : "") << "\n";
    }
    if (!report.bad.empty()) cli::set_exit_code(kExitDataErr);
}

void cmd_cache_prune(const cli::GlobalOptions& g, const Overrides& o, const std::string& max_size) {
    const auto c = context(g, o);
    uint64_t target = c.settings.max_cache_size;
    if (!max_size.empty()) {
        const auto parsed = talos::parse_byte_size(max_size);
        if (!parsed) throw usage_error("--max-size " + mb::quoted(max_size) + " is not a size (bytes or K/M/G/T)");
        target = *parsed;
    }
    if (max_size.empty() && target == 0) throw usage_error("talos.max_cache_size is 0 (unlimited); give --max-size");
    auto svc = talos::Service::create(talos::service_options(c.settings, c.cache_dir));
    svc->cache().open(false);
    const auto evicted = svc->cache().prune(target);
    if (g.json) {
        ordered_json out = ordered_json::array();
        for (const auto& e : evicted) out.push_back(entry_json(e));
        print_json({{"evicted", out}, {"total", svc->cache().total_bytes()}});
        return;
    }
    for (const auto& e : evicted) std::cout << "evicted " << e.key.relative() << "\t" << e.size << "\n";
}

}  // namespace mb::talos_tool
