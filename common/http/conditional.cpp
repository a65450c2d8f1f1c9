#include "http/conditional.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"
#include "http/wire.hpp"

namespace mb::http {

std::string make_etag(uint64_t inode, uint64_t size, int64_t mtime_ns) {
    return fmt::format("\"{:x}-{:x}-{:x}\"", inode, size, static_cast<uint64_t>(mtime_ns));
}

namespace {

// Splits an entity-tag list, keeping quoted tags intact.
std::vector<std::string_view> etag_list(std::string_view list) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < list.size()) {
        while (i < list.size() && (list[i] == ' ' || list[i] == '\t' || list[i] == ',')) ++i;
        if (i >= list.size()) break;
        const size_t start = i;
        if (list.compare(i, 2, "W/") == 0) i += 2;
        if (i < list.size() && list[i] == '"') {
            const auto close = list.find('"', i + 1);
            if (close == std::string_view::npos) return out;
            i = close + 1;
        } else {
            while (i < list.size() && list[i] != ',') ++i;
        }
        out.push_back(trim(list.substr(start, i - start)));
    }
    return out;
}

}  // namespace

bool etag_matches(std::string_view list, std::string_view etag, bool weak) {
    if (trim(list) == "*") return true;
    const bool etag_weak = etag.substr(0, 2) == "W/";
    const auto bare = etag_weak ? etag.substr(2) : etag;
    for (auto tag : etag_list(list)) {
        const bool tag_weak = tag.substr(0, 2) == "W/";
        if (!weak && (tag_weak || etag_weak)) continue;
        if ((tag_weak ? tag.substr(2) : tag) == bare) return true;
    }
    return false;
}

int evaluate_preconditions(const Request& req, std::string_view etag, std::time_t last_modified) {
    const bool safe = req.method == "GET" || req.method == "HEAD";
    if (auto im = req.header("If-Match")) {
        if (!etag_matches(*im, etag, false)) return 412;
    } else if (auto ius = req.header("If-Unmodified-Since")) {
        if (auto t = parse_http_date(*ius); t && last_modified > *t) return 412;
    }
    if (auto inm = req.header("If-None-Match")) {
        if (etag_matches(*inm, etag, true)) return safe ? 304 : 412;
    } else if (auto ims = req.header("If-Modified-Since"); ims && safe) {
        if (auto t = parse_http_date(*ims); t && last_modified <= *t) return 304;
    }
    return 0;
}

RangeDecision parse_range(std::string_view header, uint64_t size, size_t max_ranges) {
    RangeDecision out;
    header = trim(header);
    if (!starts_with_icase(header, "bytes=")) return out;
    const auto specs = split(header.substr(6), ',');
    if (specs.empty() || specs.size() > max_ranges) return out;
    std::vector<ByteRange> ranges;
    for (const auto& raw : specs) {
        const auto spec = trim(raw);
        const auto dash = spec.find('-');
        if (dash == std::string_view::npos) return out;
        const auto a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
        if (a.empty()) {
            // suffix range: the last N bytes
            auto n = parse_uint(b);
            if (!n || b.empty() || b[0] < '0' || b[0] > '9') return out;
            if (*n == 0 || size == 0) continue;
            ranges.push_back({size - std::min(*n, size), size - 1});
            continue;
        }
        auto first = parse_uint(a);
        if (!first || a[0] < '0' || a[0] > '9' || (a.size() > 1 && (a[1] == 'x' || a[1] == 'X'))) return out;
        uint64_t last = size ? size - 1 : 0;
        if (!b.empty()) {
            auto l = parse_uint(b);
            if (!l || b[0] < '0' || b[0] > '9' || (b.size() > 1 && (b[1] == 'x' || b[1] == 'X'))) return out;
            if (*l < *first) return out;
            last = std::min(*l, last);
        }
        if (*first >= size) continue;  // unsatisfiable part
        ranges.push_back({*first, last});
    }
    if (ranges.empty()) {
        out.kind = RangeDecision::unsatisfiable;
        return out;
    }
    out.kind = RangeDecision::partial;
    out.ranges = std::move(ranges);
    return out;
}

bool if_range_allows(const Request& req, std::string_view etag, std::time_t last_modified) {
    auto ir = req.header("If-Range");
    if (!ir) return true;
    const auto v = trim(*ir);
    if (!v.empty() && (v[0] == '"' || v.substr(0, 2) == "W/")) return v.substr(0, 2) != "W/" && v == etag;
    auto t = parse_http_date(v);
    return t && *t == last_modified;
}

std::string byteranges_part_head(std::string_view boundary, std::string_view content_type, const ByteRange& r,
                                 uint64_t size, bool first) {
    return fmt::format("{}--{}\r\nContent-Type: {}\r\nContent-Range: bytes {}-{}/{}\r\n\r\n", first ? "" : "\r\n",
                       boundary, content_type, r.first, r.last, size);
}

std::string byteranges_trailer(std::string_view boundary) { return fmt::format("\r\n--{}--\r\n", boundary); }

uint64_t byteranges_length(std::string_view boundary, std::string_view content_type,
                           const std::vector<ByteRange>& ranges, uint64_t size) {
    uint64_t total = 0;
    for (size_t i = 0; i < ranges.size(); ++i)
        total += byteranges_part_head(boundary, content_type, ranges[i], size, i == 0).size() + ranges[i].length();
    return total + byteranges_trailer(boundary).size();
}

}  // namespace mb::http
