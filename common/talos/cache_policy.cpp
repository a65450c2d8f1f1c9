#include "talos/cache_policy.hpp"

#include <algorithm>

namespace mb::talos {

std::vector<std::string> choose_evictions(std::vector<EvictionCandidate> entries, uint64_t target_bytes) {
    uint64_t total = 0;
    for (const auto& e : entries) total += e.size;
    std::stable_sort(entries.begin(), entries.end(),
                     [](const EvictionCandidate& a, const EvictionCandidate& b) { return a.last_used < b.last_used; });
    std::vector<std::string> out;
    for (const auto& e : entries) {
        if (total <= target_bytes) break;
        if (e.in_use) continue;
        out.push_back(e.id);
        total -= e.size;
    }
    return out;
}

}  // namespace mb::talos
