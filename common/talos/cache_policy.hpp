#pragma once
// Pure eviction policy: given the entries (size, last use, in use) and a byte budget, which ones go.
#include <chrono>
#include <cstdint>
#include <string>
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
