#pragma once
// Pure eviction policy: given the entries (size, last use, in use) and a byte budget, which ones go.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::talos {

struct EvictionCandidate {
    std::string id;
    uint64_t size = 0;
    std::chrono::system_clock::time_point last_used;
    bool in_use = false;
};

// Least recently used first, skipping entries in use, until the total is <= target. Returns ids.
std::vector<std::string> choose_evictions(std::vector<EvictionCandidate> entries, uint64_t target_bytes);

}  // namespace mb::talos

namespace mb::talos {

// "10737418240", "10G", "10GiB", "512 MiB" (binary units) → bytes; nullopt when malformed.
std::optional<uint64_t> parse_byte_size(std::string_view text);

}  // namespace mb::talos
