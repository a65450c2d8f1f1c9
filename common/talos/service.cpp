#include "talos/service.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "talos/decompress.hpp"
#include "talos/digest.hpp"
#include "talos/range.hpp"
#include "talos/version.hpp"

namespace fs = std::filesystem;

namespace mb::talos {

namespace {

constexpr size_t kStreamChunk = 512 * 1024;

// A response body that tails a Flight: every client of a cold asset reads the growing .part.
class FlightStream final : public http::StreamBody, public std::enable_shared_from_this<FlightStream> {
public:
    explicit FlightStream(std::shared_ptr<Flight> flight) : flight_(std::move(flight)) {}
    void pull(Deliver deliver) override {
        auto self = shared_from_this();
        flight_->read_async(offset_, kStreamChunk,
                            [self, deliver = std::move(deliver)](Flight::Read r, std::string chunk) {
                                if (self->cancelled_) return;
                                switch (r) {
                                    case Flight::Read::data:
                                        self->offset_ += chunk.size();
                                        deliver(true, std::move(chunk));
                                        break;
                                    case Flight::Read::end: deliver(true, {}); break;
                                    case Flight::Read::failed: deliver(false, {}); break;
                                }
                            });
    }
    void cancel() override { cancelled_ = true; }

private:
    std::shared_ptr<Flight> flight_;
    uint64_t offset_ = 0;
    std::atomic<bool> cancelled_{false};
};

http::Response text(int status, const std::string& message) {
    auto r = http::text_response(status, message + "\n");
    r.headers.set("Cache-Control", "no-store");
    return r;
}

std::string memo_key(const Selection& s) {
    std::string k = s.version + "|";
    if (s.extensions) k += "E" + join(*s.extensions, ",");
    k += "|" + s.overlay + "|" + join(s.extra_kernel_args, " ");
    return k;
}

void set_common_headers(http::Response& r, const Asset& asset, const std::string& version, const std::string& id) {
    r.headers.set("Content-Type", asset.content_type);
    r.headers.set("Content-Disposition", "attachment; filename=\"" + asset.served_name + "\"");
    r.headers.set("X-Talos-Version", version);
    r.headers.set("X-Talos-Schematic", id);
}

}  // namespace

struct Service::Parsed {
    Selection selection;
    AssetRequest asset;
    std::string arch;
    bool head = false;
};

ServiceOptions service_options(const config::TalosSettings& s, const fs::path& cache_dir) {
    ServiceOptions o;
    o.factory.base_url = s.base_url;
    o.factory.connect_timeout_s = s.connect_timeout;
    o.factory.first_byte_timeout_s = s.first_byte_timeout;
    o.factory.low_speed_limit = s.low_speed_limit;
    o.factory.low_speed_time_s = s.low_speed_time;
    o.factory.ca_file = s.ca_file;
    o.raw_source = s.raw_source == "xz" ? RawSource::xz : s.raw_source == "zst" ? RawSource::zst : RawSource::automatic;
    o.metadata_ttl = std::chrono::seconds(s.metadata_ttl);
    o.cache_dir = cache_dir;
    o.max_cache_size = s.max_cache_size;
    o.default_extensions = s.default_extensions;
    return o;
}

fs::path cache_directory(const config::TalosSettings& s, const fs::path& root) {
    if (s.cache_directory.empty()) return root / "cache" / "talos";
    const fs::path dir(s.cache_directory);
    return dir.is_absolute() ? dir : root / dir;
}

std::shared_ptr<Service> Service::create(ServiceOptions options) {
    return std::shared_ptr<Service>(new Service(std::move(options)));
}

Service::Service(ServiceOptions options)
    : options_(std::move(options)),
      client_(options_.factory),
      cache_(Cache::create(options_.cache_dir, options_.max_cache_size)) {}

Service::~Service() {
    if (const size_t left = cache_->wait_for_commits(std::chrono::seconds(60)))
        log::warn("talos cache: stopping with {} commit(s) unfinished; their .part files are removed at the next start",
                  left);
}

VerifyReport Service::open(bool verify) {
    cache_->open(true);
    VerifyReport report;
    if (verify) {
        report = cache_->verify(true);
        log::info("talos cache {}: {} entries verified, {} corrupt removed", cache_->root().string(),
                  report.good.size(), report.bad.size());
    }
    if (cache_->max_bytes() > 0 && cache_->total_bytes() > cache_->max_bytes()) cache_->prune(cache_->max_bytes());
    return report;
}

bool Service::matches(std::string_view path) {
    return path.substr(0, kRoutePrefix.size()) == kRoutePrefix;
}

// ---------------------------------------------------------------------------------------------
// Metadata and resolution

std::string Service::metadata(const std::string& path) {
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mu_);
        const auto it = metadata_.find(path);
        if (it != metadata_.end() && now - it->second.at < options_.metadata_ttl) return it->second.body;
    }
    try {
        auto body = client_.get(path);
        std::lock_guard lock(mu_);
        metadata_[path] = {now, body};
        return body;
    } catch (const FactoryStatusError&) {
        throw;
    } catch (const Error& e) {
        std::lock_guard lock(mu_);
        const auto it = metadata_.find(path);
        if (it == metadata_.end()) throw;
        log::warn("talos: factory unreachable ({}); using the list fetched earlier", e.what());
        return it->second.body;
    }
}

std::vector<std::string> Service::versions() {
    return parse_versions_json(metadata("/versions"));
}

std::vector<ExtensionInfo> Service::extensions(const std::string& version) {
    return parse_extensions_json(metadata("/version/" + version + "/extensions/official"));
}

std::vector<OverlayInfo> Service::overlays(const std::string& version) {
    return parse_overlays_json(metadata("/version/" + version + "/overlays/official"));
}

std::optional<Resolved> Service::memoized(const std::string& key) {
    std::lock_guard lock(mu_);
    const auto it = resolved_.find(key);
    if (it == resolved_.end() || std::chrono::steady_clock::now() - it->second.first >= options_.metadata_ttl)
        return std::nullopt;
    return it->second.second;
}

Resolved Service::resolve(const Selection& sel) {
    const auto key = memo_key(sel);
    if (auto r = memoized(key)) return *r;
    if (!valid_version_text(sel.version))
        throw data_error("version " + mb::quoted(sel.version) + " is neither \"latest\" nor vX.Y.Z");
    Resolved r;
    const auto list = versions();
    if (sel.version == "latest") {
        const auto latest = latest_stable(list);
        if (!latest) throw Error(kExitNoInput, "the factory offers no stable Talos version");
        r.version = *latest;
        log::info("talos: latest resolved to {}", r.version);
    } else {
        if (std::find(list.begin(), list.end(), sel.version) == list.end())
            throw Error(kExitNoInput,
                        "Talos " + sel.version + " is not offered by the factory " + options_.factory.base_url);
        r.version = sel.version;
    }
    const auto wanted = sel.extensions.value_or(options_.default_extensions);
    if (!wanted.empty()) r.schematic.extensions = resolve_extensions(wanted, extensions(r.version), r.version);
    if (!sel.overlay.empty()) {
        const auto o = resolve_overlay(sel.overlay, overlays(r.version), r.version);
        r.schematic.overlay_name = o.name;
        r.schematic.overlay_image = o.image;
    }
    r.schematic.extra_kernel_args = sel.extra_kernel_args;
    r.schematic.normalize();
    const auto yaml = canonical_yaml(r.schematic);
    r.local_id = sha256_hex(yaml);
    std::string id;
    {
        std::lock_guard lock(mu_);
        if (const auto it = schematic_ids_.find(yaml); it != schematic_ids_.end()) id = it->second;
    }
    if (id.empty()) {
        try {
            id = client_.post_schematic(yaml);
            if (id != r.local_id)
                log::warn(
                    "talos: the factory named schematic {} but our canonical YAML hashes to {}; using the factory's",
                    id, r.local_id);
        } catch (const FactoryStatusError& e) {
            throw;  // the factory refused the schematic: say so
        } catch (const Error& e) {
            if (e.code() != kExitUnavailable) throw;
            log::warn("talos: cannot register the schematic ({}); using the local ID {}", e.what(), r.local_id);
            id = r.local_id;
        }
        std::lock_guard lock(mu_);
        schematic_ids_[yaml] = id;
    }
    r.schematic_id = id;
    std::lock_guard lock(mu_);
    resolved_[key] = {std::chrono::steady_clock::now(), r};
    return r;
}

// ---------------------------------------------------------------------------------------------
// Downloads

Cache::Producer Service::producer(const Resolved& resolved, const Asset& asset) {
    const std::string path = "/image/" + resolved.schematic_id + "/" + resolved.version + "/" + asset.upstream_path;
    return [client = client_, path, asset](Flight& flight) {
        auto decoder = make_decompressor(asset.decompress);
        // Checksums from upstream are an Enterprise feature (community factories answer 402): ask
        // first, and hash the compressed bytes only when there is something to compare with.
        std::optional<std::string> upstream_sum;
        long no_sum_status = 0;
        try {
            const auto sum = parse_sha256sum(client.get(path + ".sha256"));
            if (!sum) throw data_error("factory " + path + ".sha256 is not in sha256sum format");
            upstream_sum = sum->hex;
        } catch (const FactoryStatusError& e) {
            if (e.status() != 402 && e.status() != 404) throw;
            no_sum_status = e.status();
        }
        std::optional<Sha256> upstream_hash;
        if (upstream_sum) upstream_hash.emplace();
        // the decoder hands over its output in batches; when the download stalls, what it holds
        // goes to the clients after kHoldBack instead of waiting for more input
        constexpr auto kHoldBack = std::chrono::milliseconds(50);
        auto last_output = std::chrono::steady_clock::now();
        const auto sink = [&flight, &last_output](const char* data, size_t size) {
            flight.write(data, size);
            last_output = std::chrono::steady_clock::now();
        };
        FactoryClient::Handlers h;
        h.on_head = [&](const ResponseHead& head) {
            log::info(
                "talos: downloading {} ({} bytes{})", head.effective_url,
                head.content_length ? std::to_string(*head.content_length) : std::string("unknown"),
                asset.decompress == Codec::none ? "" : ", decompressing " + std::string(codec_name(asset.decompress)));
            flight.set_head(asset.decompress == Codec::none ? head.content_length : std::nullopt);
        };
        h.on_data = [&](std::string_view data) {
            if (upstream_hash) upstream_hash->update(data);
            decoder->feed(data, sink);
        };
        h.on_tick = [&] {
            if (std::chrono::steady_clock::now() - last_output >= kHoldBack) decoder->flush(sink);
        };
        const auto start = std::chrono::steady_clock::now();
        client.download(path, h);
        decoder->finish(sink);
        if (upstream_hash) {
            const auto hex = upstream_hash->final_hex();
            if (hex != *upstream_sum)
                throw data_error("factory " + path + " has sha256 " + hex + " but its .sha256 says " + *upstream_sum);
            log::info("talos: {} matches the factory's sha256 {}", path, hex);
        } else {
            log::info("talos: {}: no upstream checksum (HTTP {}): trust on first use, the sidecar pins it", path,
                      no_sum_status);
        }
        log::info("talos: fetched {} in {:.1f} s", path,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
}

CacheEntry Service::ensure_cached(const Resolved& resolved, const Asset& asset) {
    const CacheKey key{resolved.version, resolved.schematic_id, asset.served_name};
    if (auto e = cache_->lookup(key)) return *e;
    bool started = false;
    auto flight = cache_->join_or_start(key, producer(resolved, asset), started);
    std::promise<bool> done;
    flight->when_done([&done](bool ok) { done.set_value(ok); });
    if (!done.get_future().get()) {
        const auto status = flight->upstream_status();
        if (status == 404) throw Error(kExitNoInput, flight->error());
        throw Error(kExitUnavailable, flight->error());
    }
    if (auto e = cache_->lookup(key)) return *e;
    throw Error(kExitTempFail, "talos cache: " + key.relative() + " was evicted right after its download");
}

std::string Service::route_path(const Resolved& r, const std::string& arch, const std::string& asset) {
    std::string p = std::string(kRoutePrefix) + r.version + "/" + arch + "/" + asset;
    std::vector<std::string> q;
    q.push_back("extensions=" + join(r.schematic.extensions, ","));
    if (!r.schematic.overlay_name.empty()) q.push_back("overlay=" + r.schematic.overlay_name);
    return p + "?" + join(q, "&");
}

BootAssets Service::boot_assets(const Selection& selection, const std::string& arch, const std::string& url_base,
                                const std::string& platform) {
    if (!valid_arch(arch)) throw data_error("architecture " + mb::quoted(arch) + " is not amd64 or arm64");
    if (!selection.extra_kernel_args.empty())
        throw data_error("extra kernel args belong on the iPXE kernel line, not in a netboot schematic");
    const auto r = resolve(selection);
    BootAssets b;
    b.version = r.version;
    b.schematic_id = r.schematic_id;
    b.arch = arch;
    std::string base = url_base;
    while (!base.empty() && base.back() == '/') base.pop_back();
    b.kernel_url = base + route_path(r, arch, "kernel-" + arch);
    b.initramfs_url = base + route_path(r, arch, "initramfs-" + arch + ".xz");
    const auto cmdline = parse_asset("cmdline-" + platform + "-" + arch, arch).asset;
    const auto entry = ensure_cached(r, cmdline);
    std::ifstream in(entry.path);
    std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    b.cmdline = std::string(trim(line));
    for (const auto& [name, out] : {std::pair<std::string, fs::path*>{"kernel-" + arch, &b.kernel_file},
                                    {"initramfs-" + arch + ".xz", &b.initramfs_file}}) {
        const auto p = cache_->path_of({r.version, r.schematic_id, name});
        std::error_code ec;
        if (fs::exists(p, ec) && fs::exists(p.string() + ".sha256", ec)) *out = p;
    }
    return b;
}

std::string ipxe_script(const BootAssets& b) {
    return "#!ipxe\n# Talos " + b.version + " schematic " + b.schematic_id + "\nkernel " + b.kernel_url + " " +
           b.cmdline + "\ninitrd " + b.initramfs_url + "\nboot\n";
}

// ---------------------------------------------------------------------------------------------
// The route

http::Response error_response(const std::exception& error) {
    if (const auto* fse = dynamic_cast<const FactoryStatusError*>(&error)) {
        if (fse->status() == 404) return text(404, error.what());
        if (fse->status() == 400) return text(400, error.what());
        return text(502, error.what());
    }
    if (const auto* e = dynamic_cast<const Error*>(&error)) {
        switch (e->code()) {
            case kExitDataErr:
            case kExitUsage: return text(400, e->what());
            case kExitNoInput: return text(404, e->what());
            case kExitUnavailable: return text(502, e->what());
            case kExitTempFail: {
                auto r = text(503, e->what());
                r.headers.set("Retry-After", "5");
                return r;
            }
            default: break;
        }
    }
    return text(500, error.what());
}

http::Response Service::cached_response(const http::Request& req, const Parsed& p, const CacheEntry& e) {
    const auto& asset = p.asset.asset;
    if (p.asset.checksum) {
        auto r = http::text_response(200, sha256sum_line(e.sha256, asset.served_name));
        r.headers.set("X-Talos-Version", e.key.version);
        r.headers.set("X-Talos-Schematic", e.key.schematic);
        return r;
    }
    http::Response r;
    set_common_headers(r, asset, e.key.version, e.key.schematic);
    const std::string etag = "\"" + e.sha256 + "\"";
    r.headers.set("ETag", etag);
    r.headers.set("Accept-Ranges", "bytes");
    r.headers.set("X-Talos-Cache", "hit");
    const auto d = decide_range(req.header("Range"), req.header("If-Range"), etag, e.size);
    if (d.kind == RangeDecision::unsatisfiable) {
        auto u =
            text(416, "range not satisfiable for " + asset.served_name + " (" + std::to_string(e.size) + " bytes)");
        u.headers.set("Content-Range", "bytes */" + std::to_string(e.size));
        return u;
    }
    if (d.kind == RangeDecision::partial) {
        r.status = 206;
        r.headers.set("Content-Range", "bytes " + std::to_string(d.offset) + "-" +
                                           std::to_string(d.offset + d.length - 1) + "/" + std::to_string(e.size));
    }
    // Opened here and held by the response until it is sent: the server never looks the path up
    // again (no race with eviction or a refetch), and the cache sees the file open and spares it.
    const int fd = ::open(e.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(kExitTempFail, "talos cache: " + e.path.string() + " went away; retry");
    // read once front to back: a larger readahead window when the image is not in the page cache
    ::posix_fadvise(fd, static_cast<off_t>(d.offset), static_cast<off_t>(d.length), POSIX_FADV_SEQUENTIAL);
    r.file = http::FileBody{e.path.string(), d.offset, d.length, std::make_shared<const http::OpenFile>(fd)};
    r.content_length = d.length;
    return r;
}

void Service::handle_async(const http::Request& req, Respond respond) {
    Parsed p;
    try {
        if (req.method != "GET" && req.method != "HEAD") {
            auto r = text(405, "method " + req.method + " not allowed on " + req.path);
            r.headers.set("Allow", "GET, HEAD");
            respond(std::move(r));
            return;
        }
        p.head = req.method == "HEAD";
        if (!matches(req.path)) throw Error(kExitNoInput, "no such Talos route: " + req.path);
        const auto parts = split(std::string_view(req.path).substr(kRoutePrefix.size()), '/');
        if (parts.size() != 3)
            throw Error(kExitNoInput, "expected /images/talos/{version|latest}/{amd64|arm64}/{asset}, got " + req.path);
        p.selection.version = parts[0];
        if (!valid_version_text(p.selection.version))
            throw data_error("version " + mb::quoted(parts[0]) + " is neither \"latest\" nor vX.Y.Z");
        p.arch = parts[1];
        p.asset = parse_asset(parts[2], p.arch, options_.raw_source);
        const auto q = req.query_params();
        if (const auto it = q.find("extensions"); it != q.end()) p.selection.extensions = split_list(it->second);
        if (const auto it = q.find("overlay"); it != q.end()) p.selection.overlay = std::string(trim(it->second));
        if (p.selection.overlay.empty())
            if (const auto it = q.find("overlays"); it != q.end()) p.selection.overlay = std::string(trim(it->second));
    } catch (const std::exception& e) {
        respond(error_response(e));
        return;
    }
    // Fast path: the schematic is known and the file is cached.
    if (const auto r = memoized(memo_key(p.selection))) {
        if (auto e = cache_->lookup({r->version, r->schematic_id, p.asset.asset.served_name})) {
            http::Response resp;
            try {
                resp = cached_response(req, p, *e);
            } catch (const std::exception& ex) {
                resp = error_response(ex);
            }
            respond(std::move(resp));
            return;
        }
    }
    std::thread([self = shared_from_this(), p, req, respond = std::move(respond)] {
        try {
            self->serve(p, req, respond);
        } catch (const std::exception& e) {
            static std::mutex limiter_mu;
            static log::RateLimiter limiter(2.0, 10.0);  // bad requests can come in floods
            std::lock_guard lock(limiter_mu);
            log::write_limited(limiter, log::Level::warn, "talos: request refused",
                               {{"method", req.method}, {"target", req.target}, {"error", e.what()}});
            respond(error_response(e));
        }
    }).detach();
}

void Service::serve(const Parsed& p, const http::Request& req, const Respond& respond) {
    const auto r = resolve(p.selection);
    const auto& asset = p.asset.asset;
    const CacheKey key{r.version, r.schematic_id, asset.served_name};
    if (auto e = cache_->lookup(key)) {
        respond(cached_response(req, p, *e));
        return;
    }
    if (p.head && !p.asset.checksum) {
        // HEAD of an uncached asset: ask the factory (this also starts its build) without caching.
        const auto path = "/image/" + r.schematic_id + "/" + r.version + "/" + asset.upstream_path;
        const auto head = client_.download(path, {}, true);
        http::Response resp;
        set_common_headers(resp, asset, r.version, r.schematic_id);
        resp.headers.set("X-Talos-Cache", "miss");
        if (asset.decompress == Codec::none && head.content_length) resp.content_length = head.content_length;
        respond(std::move(resp));
        return;
    }
    bool started = false;
    auto flight = cache_->join_or_start(key, producer(r, asset), started);
    log::info("talos: {} {} -> {} ({})", req.method, req.target, key.relative(),
              started ? "miss, downloading" : "miss, joining the running download");
    if (p.asset.checksum) {
        flight->when_done([flight, respond, name = asset.served_name, r](bool ok) {
            if (!ok) {
                respond(error_response(
                    FactoryStatusError(flight->upstream_status() ? flight->upstream_status() : 502, flight->error())));
                return;
            }
            auto resp = http::text_response(200, sha256sum_line(flight->sha256(), name));
            resp.headers.set("X-Talos-Version", r.version);
            resp.headers.set("X-Talos-Schematic", r.schematic_id);
            respond(std::move(resp));
        });
        return;
    }
    flight->when_head([flight, respond, asset, r, head = p.head](bool ok) {
        if (!ok) {
            respond(error_response(
                FactoryStatusError(flight->upstream_status() ? flight->upstream_status() : 502, flight->error())));
            return;
        }
        http::Response resp;
        set_common_headers(resp, asset, r.version, r.schematic_id);
        resp.headers.set("X-Talos-Cache", "miss");
        resp.content_length = flight->final_length();
        if (!head) resp.stream = std::make_shared<FlightStream>(flight);
        respond(std::move(resp));
    });
}

http::Response Service::handle(const http::Request& request) {
    auto promise = std::make_shared<std::promise<http::Response>>();
    auto future = promise->get_future();
    handle_async(request, [promise](http::Response r) { promise->set_value(std::move(r)); });
    return future.get();
}

}  // namespace mb::talos
