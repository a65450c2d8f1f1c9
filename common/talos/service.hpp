#pragma once
// The Talos image service: resolves a request (version or "latest", extensions, overlay) to a
// factory schematic, and serves the asset from the verified cache or streams it from the factory
// while caching it. It is both the HTTP route
//     GET|HEAD /images/talos/{version|latest}/{amd64|arm64}/{asset}[.sha256]?extensions=a,b&overlay=o
// (handle_async / handle, over the transport-independent mb::http types, mounted by mb-http and by
// `mb-talos serve`) and the API the iPXE renderer uses to boot a device into Talos (boot_assets).
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/talos_settings.hpp"
#include "http/message.hpp"
#include "talos/asset.hpp"
#include "talos/cache.hpp"
#include "talos/catalog.hpp"
#include "talos/factory_client.hpp"
#include "talos/schematic.hpp"

namespace mb::talos {

struct ServiceOptions {
    FactoryOptions factory;
    std::filesystem::path cache_dir;
    uint64_t max_cache_size = 0;
    std::vector<std::string> default_extensions;
    RawSource raw_source = RawSource::automatic;
    std::chrono::seconds metadata_ttl{300};
};
// Options from the `talos:` settings; `cache_dir` from cache_directory() below.
ServiceOptions service_options(const config::TalosSettings& settings, const std::filesystem::path& cache_dir);
// talos.cache_directory resolved against the config root (empty: <root>/cache/talos).
std::filesystem::path cache_directory(const config::TalosSettings& settings, const std::filesystem::path& root);

// What a request or a device record (`talos: {version, extensions, overlay}`) asks for.
struct Selection {
    std::string version = "latest";                      // "latest" or "vX.Y.Z"
    std::optional<std::vector<std::string>> extensions;  // nullopt = talos.default_extensions
    std::string overlay;                                 // "" = none
    std::vector<std::string> extra_kernel_args;
};

struct Resolved {
    std::string version;       // concrete "vX.Y.Z"
    Schematic schematic;       // with full extension names and the overlay image
    std::string schematic_id;  // the factory's answer (or the local ID when it is unreachable)
    std::string local_id;      // sha256 of our canonical YAML
};

// Everything an iPXE script needs to boot Talos from the factory's kernel and initramfs.
struct BootAssets {
    std::string version;
    std::string schematic_id;
    std::string arch;
    std::string kernel_url;  // url_base + route path; fetched and cached through the route
    std::string initramfs_url;
    std::string cmdline;                // the factory's cmdline-<platform>-<arch>, trimmed
    std::filesystem::path kernel_file;  // the cache file when already cached ("" otherwise)
    std::filesystem::path initramfs_file;
};

class Service : public std::enable_shared_from_this<Service> {
public:
    static constexpr std::string_view kRoutePrefix = "/images/talos/";
    using Respond = std::function<void(http::Response)>;

    static std::shared_ptr<Service> create(ServiceOptions options);
    // Lets the downloads whose data is complete finish their commit (Cache::wait_for_commits, at
    // most a minute): a stop right after a client got its image keeps the image cached.
    ~Service();

    // Opens the cache (removing stale .part files) and, when `verify`, re-hashes every entry,
    // dropping corrupt ones so they are fetched again. Returns the verification report.
    VerifyReport open(bool verify);

    // True for paths under /images/talos/.
    static bool matches(std::string_view path);
    // The route. `respond` is called exactly once, inline for cache hits whose schematic is
    // already known, otherwise later from a worker thread (after the factory's headers arrived:
    // the first build may take minutes). Cold GETs answer with a StreamBody that tails the
    // download (first byte before the download ends); cached ones with a FileBody (Range, HEAD).
    void handle_async(const http::Request& request, Respond respond);
    // The same, blocking until the response head is known (for thread-per-connection servers).
    http::Response handle(const http::Request& request);

    // Factory metadata, cached for metadata_ttl (a stale copy is used if the factory is down).
    std::vector<std::string> versions();
    std::vector<ExtensionInfo> extensions(const std::string& version);
    std::vector<OverlayInfo> overlays(const std::string& version);
    // Resolves and validates a selection; throws data_error (unknown extension/overlay, bad
    // version text), Error(kExitNoInput) (version not offered) or Error(kExitUnavailable).
    Resolved resolve(const Selection& selection);

    // For the iPXE renderer (mb-http): the URLs under `url_base` (e.g. "http://10.0.0.1:8080")
    // and the kernel command line for booting `selection` on `arch` as platform `platform`
    // (normally "metal"). Fetches the small cmdline asset through the cache; the kernel and
    // initramfs are fetched (once, cached) when iPXE requests the URLs.
    BootAssets boot_assets(const Selection& selection, const std::string& arch, const std::string& url_base,
                           const std::string& platform = "metal");
    // Makes sure an asset is cached and returns its entry (blocks for the whole download).
    CacheEntry ensure_cached(const Resolved& resolved, const Asset& asset);
    // The route path (with query) for a resolved selection and an asset name.
    static std::string route_path(const Resolved& resolved, const std::string& arch, const std::string& asset);

    Cache& cache() { return *cache_; }
    const FactoryClient& client() const { return client_; }
    const ServiceOptions& options() const { return options_; }

private:
    explicit Service(ServiceOptions options);
    struct Parsed;
    std::string metadata(const std::string& path);
    std::optional<Resolved> memoized(const std::string& memo_key);
    void serve(const Parsed& parsed, const http::Request& request, const Respond& respond);
    Cache::Producer producer(const Resolved& resolved, const Asset& asset);
    http::Response cached_response(const http::Request& request, const Parsed& parsed, const CacheEntry& entry);

    ServiceOptions options_;
    FactoryClient client_;
    std::shared_ptr<Cache> cache_;
    std::mutex mu_;
    struct Timed {
        std::chrono::steady_clock::time_point at;
        std::string body;
    };
    std::map<std::string, Timed> metadata_;
    std::map<std::string, std::string> schematic_ids_;  // canonical YAML -> factory id
    std::map<std::string, std::pair<std::chrono::steady_clock::time_point, Resolved>> resolved_;
};

// "#!ipxe\nkernel <kernel_url> <cmdline>\ninitrd <initramfs_url>\nboot\n" (what the factory's /pxe/
// endpoint answers, pointing at our cached copies instead).
std::string ipxe_script(const BootAssets& boot);

// Maps an exception to an HTTP error response (400 bad request data, 404 unknown version or
// upstream 404, 502 factory failure, 503 busy, 500 otherwise).
http::Response error_response(const std::exception& error);

}  // namespace mb::talos
