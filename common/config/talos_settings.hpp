#pragma once
// metal-boot.yaml: `talos:` section (mb-talos, mounted by mb-http).
#include <cstdint>
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace mb::config {

struct TalosSettings {
    bool enabled = false;
    std::string base_url = "https://factory.talos.dev";
    std::string cache_directory = "cache/talos";
    uint64_t max_cache_size = 0;
    std::vector<std::string> default_extensions;

    template <class V>
    void visit(V& v) {
        v.field("enabled", enabled, "Serve /images/talos/... from the image factory.");
        v.field("base_url", base_url, "Image factory URL.", TextFormat{Format::url});
        v.field("cache_directory", cache_directory, "Cache directory (relative to the root or absolute).",
                TextFormat{Format::path});
        v.field("max_cache_size", max_cache_size, "Cache size limit in bytes (0 = unlimited).",
                Range{0, INT64_MAX});
        v.field("default_extensions", default_extensions, "Extensions used when a request names none.");
    }
};

}  // namespace mb::config
