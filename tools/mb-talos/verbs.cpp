#include "verbs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "http_server.hpp"
#include "log/log.hpp"
#include "talos/decompress.hpp"
#include "talos/digest.hpp"
#include "talos/settings_load.hpp"
#include "talos/version.hpp"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace mb::talos_tool {

namespace {

config::TalosSettings settings(const Globals& g) {
    auto s = talos::load_settings(fs::path(g.root) / "metal-boot.yaml");
    if (!g.base_url.empty()) s.base_url = g.base_url;
    if (!g.cache_dir.empty()) s.cache_directory = g.cache_dir;
    return s;
}

std::shared_ptr<talos::Service> service(const Globals& g) {
    return talos::Service::create(talos::service_options(settings(g), g.root));
}

void print_json(const ordered_json& doc) { std::cout << doc.dump(2) << "\n"; }

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
    return {{"version", e.key.version}, {"schematic", e.key.schematic}, {"name", e.key.name},
            {"path", e.path.string()},  {"size", e.size},               {"sha256", e.sha256},
            {"last_used", when},        {"in_use", e.in_use}};
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

int cmd_serve(const Globals& g, const ServeArgs& a) {
    const auto s = settings(g);
    if (!s.enabled) log::warn("talos.enabled is false in {}/metal-boot.yaml; serving anyway as asked", g.root);
    auto svc = talos::Service::create(talos::service_options(s, g.root));
    svc->open(s.verify_on_start && !a.no_verify);
    // Signals are taken by a waiting thread; the accept loop runs here.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    HttpServer server(a.listen.empty() ? s.listen : a.listen, [svc](const http::Request& req) {
        if (!talos::Service::matches(req.path))
            return http::text_response(404, "not found: " + req.path + " (this server serves /images/talos/...)\n");
        return svc->handle(req);
    });
    std::thread([&server, set] {
        int sig = 0;
        sigwait(&set, &sig);
        log::info("signal {}: stopping", sig);
        sd_notify(0, "STOPPING=1");
        server.stop();
    }).detach();
    log::info("serving /images/talos/ on port {} from {} (cache {}, budget {})", server.port(), s.base_url,
              svc->cache().root().string(), s.max_cache_size ? human_size(double(s.max_cache_size)) : "unlimited");
    sd_notifyf(0, "READY=1\nSTATUS=serving Talos images on port %u", server.port());
    server.run();
    return kExitOk;
}

int cmd_versions(const Globals& g) {
    auto svc = service(g);
    const auto list = svc->versions();
    const auto latest = talos::latest_stable(list);
    if (g.json) {
        print_json({{"versions", list}, {"latest", latest ? ordered_json(*latest) : ordered_json(nullptr)}});
        return kExitOk;
    }
    for (const auto& v : list) std::cout << v << (latest && v == *latest ? "\tlatest" : "") << "\n";
    return kExitOk;
}

int cmd_extensions(const Globals& g, const std::string& version) {
    auto svc = service(g);
    const auto v = concrete_version(*svc, version);
    const auto list = svc->extensions(v);
    if (g.json) {
        ordered_json out = ordered_json::array();
        for (const auto& e : list)
            out.push_back({{"name", e.name}, {"ref", e.ref}, {"digest", e.digest}, {"author", e.author},
                           {"description", e.description}});
        print_json(out);
        return kExitOk;
    }
    for (const auto& e : list) std::cout << e.name << "\t" << e.ref << "\n";
    return kExitOk;
}

int cmd_overlays(const Globals& g, const std::string& version) {
    auto svc = service(g);
    const auto v = concrete_version(*svc, version);
    const auto list = svc->overlays(v);
    if (g.json) {
        ordered_json out = ordered_json::array();
        for (const auto& o : list) out.push_back({{"name", o.name}, {"image", o.image}, {"ref", o.ref}, {"digest", o.digest}});
        print_json(out);
        return kExitOk;
    }
    for (const auto& o : list) std::cout << o.name << "\t" << o.image << "\t" << o.ref << "\n";
    return kExitOk;
}

int cmd_schematic(const Globals& g, const SelectionArgs& a, bool offline, bool show_yaml) {
    talos::Resolved r;
    if (offline) {
        const auto s = settings(g);
        r.schematic.extensions = a.extensions_given ? talos::split_list(a.extensions) : s.default_extensions;
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
        r = service(g)->resolve(selection_of(a));
    }
    const auto yaml = talos::canonical_yaml(r.schematic);
    if (g.json) {
        ordered_json out{{"id", r.schematic_id}, {"local_id", r.local_id}, {"yaml", yaml}};
        if (!r.version.empty()) out["version"] = r.version;
        print_json(out);
        return kExitOk;
    }
    std::cout << r.schematic_id << "\n";
    if (show_yaml) std::cout << yaml;
    return kExitOk;
}

int cmd_fetch(const Globals& g, FetchArgs a) {
    auto svc = service(g);
    if (a.extensions_given) a.selection.extensions = talos::split_list(a.extensions);
    if (!talos::known_platform(a.platform)) throw usage_error("unknown platform " + mb::quoted(a.platform));
    const auto r = svc->resolve(a.selection);
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
                bar = "[" + std::string(std::min(filled, width), '=') + std::string(width - std::min(filled, width), ' ') +
                      fmt::format("] {:3.0f}% ", 100.0 * double(now) / double(*total));
            }
            std::fprintf(stderr, "\r%s%s %s/s   ", bar.c_str(), human_size(double(now)).c_str(), human_size(rate).c_str());
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
        print_json({{"file", out.string()}, {"bytes", written}, {"sha256", hex}, {"version", r.version},
                    {"schematic", r.schematic_id}, {"asset", asset.served_name},
                    {"url", svc->client().url(path)}, {"decompressed", std::string(talos::codec_name(asset.decompress))}});
    } else {
        std::cout << talos::sha256sum_line(hex, out.string());
    }
    log::info("fetched {} ({}) for Talos {} schematic {}", out.string(), human_size(double(written)), r.version,
              r.schematic_id);
    return kExitOk;
}

int cmd_cache_list(const Globals& g) {
    auto svc = service(g);
    svc->cache().open(false);
    const auto list = svc->cache().list();
    if (g.json) {
        ordered_json out = ordered_json::array();
        for (const auto& e : list) out.push_back(entry_json(e));
        print_json(out);
        return kExitOk;
    }
    for (const auto& e : list)
        std::cout << e.key.relative() << "\t" << e.size << "\t" << e.sha256 << "\n";
    return kExitOk;
}

int cmd_cache_verify(const Globals& g, bool remove_bad) {
    auto svc = service(g);
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
    return report.bad.empty() ? kExitOk : kExitDataErr;
}

int cmd_cache_prune(const Globals& g, const std::string& max_size) {
    const auto s = settings(g);
    const uint64_t target = max_size.empty() ? s.max_cache_size : talos::parse_size(max_size, "--max-size");
    if (max_size.empty() && target == 0) throw usage_error("talos.max_cache_size is 0 (unlimited); give --max-size");
    auto svc = talos::Service::create(talos::service_options(s, g.root));
    svc->cache().open(false);
    const auto evicted = svc->cache().prune(target);
    if (g.json) {
        ordered_json out = ordered_json::array();
        for (const auto& e : evicted) out.push_back(entry_json(e));
        print_json({{"evicted", out}, {"total", svc->cache().total_bytes()}});
        return kExitOk;
    }
    for (const auto& e : evicted) std::cout << "evicted " << e.key.relative() << "\t" << e.size << "\n";
    return kExitOk;
}

}  // namespace mb::talos_tool
