#include "talos/cache_policy.hpp"

#include <algorithm>

#include "core/strings.hpp"

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

namespace mb::talos {

std::optional<uint64_t> parse_byte_size(std::string_view text) {
    const auto t = trim(text);
    size_t i = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == 0 || i > 19) return std::nullopt;
    const auto number = parse_uint(t.substr(0, i));
    if (!number) return std::nullopt;
    const std::string unit = to_lower(trim(t.substr(i)));
    uint64_t mult = 1;
    if (unit.empty() || unit == "b")
        mult = 1;
    else if (unit == "k" || unit == "kib" || unit == "kb")
        mult = 1ull << 10;
    else if (unit == "m" || unit == "mib" || unit == "mb")
        mult = 1ull << 20;
    else if (unit == "g" || unit == "gib" || unit == "gb")
        mult = 1ull << 30;
    else if (unit == "t" || unit == "tib" || unit == "tb")
        mult = 1ull << 40;
    else
        return std::nullopt;
    if (*number > UINT64_MAX / mult) return std::nullopt;
    return *number * mult;
}

}  // namespace mb::talos
