#pragma once
// Range / If-Range decisions for a cached image (RFC 9110 §14): one byte range or the whole file.
// Multiple ranges are answered with the whole file (allowed: a server may ignore Range).
#include <cstdint>
#include <optional>
#include <string_view>

namespace mb::talos {

struct RangeDecision {
    enum Kind { full, partial, unsatisfiable } kind = full;
    uint64_t offset = 0;
    uint64_t length = 0;
};

// `etag` is the entity tag as sent (with quotes). If-Range with another validator → full.
RangeDecision decide_range(std::optional<std::string_view> range, std::optional<std::string_view> if_range,
                           std::string_view etag, uint64_t size);

}  // namespace mb::talos
