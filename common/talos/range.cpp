#include "talos/range.hpp"

#include <string>

#include "core/strings.hpp"

namespace mb::talos {

RangeDecision decide_range(std::optional<std::string_view> range, std::optional<std::string_view> if_range,
                           std::string_view etag, uint64_t size) {
    RangeDecision full{RangeDecision::full, 0, size};
    if (!range) return full;
    if (if_range && trim(*if_range) != etag) return full;
    auto spec = trim(*range);
    if (!starts_with_icase(spec, "bytes=")) return full;
    spec.remove_prefix(6);
    spec = trim(spec);
    if (spec.find(',') != std::string_view::npos) return full;
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos) return full;
    const auto a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
    uint64_t first = 0, last = 0;
    if (a.empty()) {  // suffix range: the last N bytes
        const auto n = parse_uint(b);
        if (!n || b.empty() || b.find_first_not_of("0123456789") != std::string_view::npos) return full;
        if (*n == 0 || size == 0) return {RangeDecision::unsatisfiable, 0, 0};
        const uint64_t len = std::min<uint64_t>(*n, size);
        return {RangeDecision::partial, size - len, len};
    }
    if (a.find_first_not_of("0123456789") != std::string_view::npos) return full;
    const auto f = parse_uint(a);
    if (!f) return full;
    first = *f;
    if (b.empty()) {
        last = size == 0 ? 0 : size - 1;
    } else {
        if (b.find_first_not_of("0123456789") != std::string_view::npos) return full;
        const auto l = parse_uint(b);
        if (!l || *l < first) return full;
        last = std::min<uint64_t>(*l, size == 0 ? 0 : size - 1);
    }
    if (first >= size) return {RangeDecision::unsatisfiable, 0, 0};
    return {RangeDecision::partial, first, last - first + 1};
}

}  // namespace mb::talos
