#pragma once
// Per-device rendered files: config.txt and cmdline.txt from templates ({{name}} placeholders),
// RPI_EFI.fd from the base image + firmware/<mac>.json through a FirmwareRenderer, and a cache of
// rendered bytes keyed by the hashes of the inputs so repeated probes cost nothing.
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tftp/source.hpp"

namespace mb::tftp {

using TemplateVars = std::map<std::string, std::string>;

// Replaces every {{ name }} (spaces allowed) with vars[name]. An unknown name or an unterminated
// placeholder throws mb::Error (kExitDataErr) naming the template line.
std::string render_template(std::string_view text, const TemplateVars& vars, std::string_view template_name);

// Built-in templates for the Pi 4 UEFI boot set (pftf/RPi4 layout), used when neither
// templates/<name> nor a static file overrides them.
std::string_view builtin_template(std::string_view name);  // "" if none
bool is_templated(std::string_view name);                  // config.txt, cmdline.txt

// config.txt's device_tree_address/device_tree_end must match the RPI_EFI.fd variant:
// 0x3e0000/0x400000 for the >= v1.40 image (3,997,696 B), 0x1f0000/0x200000 for v1.38 (2,031,616 B).
struct DeviceTreeWindow {
    std::string address;
    std::string end;
};
DeviceTreeWindow device_tree_window(std::optional<uint64_t> firmware_size);

// Produces a device's UEFI image from the base image and its virt-fw-vars JSON (common/efi).
class FirmwareRenderer {
public:
    virtual ~FirmwareRenderer() = default;
    virtual std::vector<uint8_t> render(std::span<const uint8_t> base_image, std::string_view device_json) const = 0;
};

// SHA-256 hex of bytes (cache keys, logs).
std::string sha256_hex(std::span<const uint8_t> bytes);

using SourcePtr = std::shared_ptr<const DataSource>;

// A rendered file and the memory it holds beyond shared data (a zero-copy EFI view costs only its
// variable store region).
struct Rendered {
    SourcePtr source;
    size_t cost = 0;
};

// Rendered files keyed by an input fingerprint (e.g. "efi:" + base hash + ":" + json hash), bounded
// by total cost (least recently used evicted; transfers holding an evicted entry keep it alive).
// Thread-compatible; serve runs one thread.
class RenderCache {
public:
    explicit RenderCache(size_t max_bytes = 256u << 20) : max_bytes_(max_bytes) {}
    // Returns the cached source for `key` or calls `produce` (which may throw) and stores the result.
    SourcePtr get_or_render(const std::string& key, const std::function<Rendered()>& produce);
    size_t bytes() const { return bytes_; }
    size_t entries() const { return map_.size(); }
    uint64_t hits() const { return hits_; }
    uint64_t misses() const { return misses_; }
    void clear();

private:
    size_t max_bytes_;
    size_t bytes_ = 0;
    uint64_t hits_ = 0;
    uint64_t misses_ = 0;
    using Entry = std::pair<std::string, Rendered>;
    std::list<Entry> lru_;  // front = most recent
    std::unordered_map<std::string, std::list<Entry>::iterator> map_;
};

}  // namespace mb::tftp
