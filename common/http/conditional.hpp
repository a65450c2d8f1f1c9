#pragma once
// Pure HTTP caching and range logic for file-like resources (RFC 9110 §13 and §14): ETags,
// conditional requests, Range / If-Range, multipart/byteranges framing. No I/O.
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace mb::http {

// Strong validator from the file identity: "\"<inode>-<size>-<mtime ns>\"" in hex.
std::string make_etag(uint64_t inode, uint64_t size, int64_t mtime_ns);

// True when `list` (an If-None-Match / If-Match value: "*" or comma-separated entity tags) matches
// `etag`; weak comparison ignores W/ prefixes.
bool etag_matches(std::string_view list, std::string_view etag, bool weak);

// Outcome of the preconditions for a GET/HEAD of a resource with these validators:
// 0 = proceed, 304 = Not Modified, 412 = Precondition Failed.
int evaluate_preconditions(const Request& req, std::string_view etag, std::time_t last_modified);

struct ByteRange {
    uint64_t first = 0;
    uint64_t last = 0;  // inclusive
    uint64_t length() const { return last - first + 1; }
    bool operator==(const ByteRange&) const = default;
};

struct RangeDecision {
    enum Kind { full, partial, unsatisfiable } kind = full;
    std::vector<ByteRange> ranges;  // for partial: sorted as requested, at most max_ranges
};

// Interprets a Range header for a representation of `size` bytes: a syntactically invalid header,
// a non-"bytes" unit or more than `max_ranges` ranges → full (the server may ignore Range);
// no satisfiable range → unsatisfiable (416).
RangeDecision parse_range(std::string_view header, uint64_t size, size_t max_ranges = 16);

// Whether a Range should be honoured given If-Range (absent, or matching the strong ETag or the
// exact Last-Modified date).
bool if_range_allows(const Request& req, std::string_view etag, std::time_t last_modified);

// multipart/byteranges framing: the part head before range i, and the closing delimiter.
std::string byteranges_part_head(std::string_view boundary, std::string_view content_type, const ByteRange& r,
                                 uint64_t size, bool first);
std::string byteranges_trailer(std::string_view boundary);
// Total body length of a multipart/byteranges response.
uint64_t byteranges_length(std::string_view boundary, std::string_view content_type,
                           const std::vector<ByteRange>& ranges, uint64_t size);

}  // namespace mb::http
