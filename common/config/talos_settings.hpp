#pragma once
// metal-boot.yaml: `talos:` section — the Talos image factory client and its image cache
// (mb-talos, mounted by mb-http). The seed's keys (enabled, base_url, cache_directory,
// max_cache_size, default_extensions) keep their meaning; the rest tune the factory client and
// `mb-talos serve`.
#include <cstdint>
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace mb::config {

struct TalosSettings {
    bool enabled = false;
    std::string base_url = "https://factory.talos.dev";
    std::string cache_directory;  // "" = <root>/cache/talos
    uint64_t max_cache_size = 0;  // bytes; 0 = unlimited
    std::vector<std::string> default_extensions;
    std::string listen = "0.0.0.0:8083";
    uint32_t connect_timeout = 10;
    uint32_t first_byte_timeout = 600;
    uint32_t low_speed_limit = 1024;
    uint32_t low_speed_time = 60;
    uint32_t metadata_ttl = 300;
    bool verify_on_start = true;
    std::string ca_file;
    std::string raw_source = "auto";

    template <class V>
    void visit(V& v) {
        v.field("enabled", enabled, "Serve Talos images under /images/talos/ (mb-http mounts the route when true).");
        v.field("base_url", base_url, "Talos image factory URL (http:// or https://; TLS is verified).",
                TextFormat{Format::url});
        v.field("cache_directory", cache_directory,
                "Directory of the image cache (<version>/<schematic>/<file> + .sha256 sidecars), relative to the "
                "root or absolute; empty: <root>/cache/talos.",
                TextFormat{Format::path});
        v.field("max_cache_size", max_cache_size,
                "Cache budget in bytes (K, M, G, T suffixes accepted); least recently used images are evicted above "
                "it, never one being served; 0 = unlimited.",
                ByteSize{});
        v.field("default_extensions", default_extensions,
                "System extensions used when a request names none (full \"siderolabs/x\" names or short \"x\").");
        v.field("listen", listen, "Address:port `mb-talos serve` listens on when it runs alone.");
        v.field("connect_timeout", connect_timeout, "Seconds allowed to connect to the factory.", Range{1, 600});
        v.field("first_byte_timeout", first_byte_timeout,
                "Seconds allowed before the factory's first byte (a first build can take minutes).", Range{1, 86400});
        v.field("low_speed_limit", low_speed_limit, "Bytes/s below which a running download is aborted ...",
                Range{0, UINT32_MAX});
        v.field("low_speed_time", low_speed_time, "... when it stays below low_speed_limit for this many seconds.",
                Range{1, 86400});
        v.field("metadata_ttl", metadata_ttl, "Seconds the factory's version, extension and overlay lists are reused.",
                Range{0, 86400});
        v.field("verify_on_start", verify_on_start, "Re-hash every cached image against its sidecar when serve starts.");
        v.field("ca_file", ca_file, "Extra CA bundle for the factory's TLS certificate (default: the system store).",
                TextFormat{Format::path});
        v.field("raw_source", raw_source,
                "Compressed form behind an uncompressed .raw: auto (metal .zst, else .xz), xz or zst.",
                OneOf{{"auto", "xz", "zst"}});
    }
};

}  // namespace mb::config
