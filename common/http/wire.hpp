#pragma once
// The glue between bytes on the wire and Request/Response, without sockets: request-target
// parsing and checks, status lines, response heads. parse_request() runs the same Beast parser
// the server uses on a byte string (unit tests, the fuzz target); its .cpp is the only one here
// besides server.cpp that includes Boost.
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace mb::http {

struct Target {
    std::string path;   // percent-decoded
    std::string query;  // raw
};

// origin-form "/a/b?q" (or absolute-form "http://host/a/b?q", reduced to its path) → decoded path
// and raw query. Rejects (nullopt → 400): other forms, malformed or NUL escapes, control
// characters or backslashes in the decoded path, and "." or ".." segments (decoded or not).
std::optional<Target> parse_target(std::string_view target);

// "OK", "Not Found", ... ("" for unknown codes).
std::string_view reason_phrase(int status);

// RFC 9110 IMF-fixdate: "Tue, 24 Nov 2026 21:30:00 GMT"; parse_http_date accepts that form only.
std::string http_date(std::time_t t);
std::optional<std::time_t> parse_http_date(std::string_view text);

// How the body of a response goes on the wire.
// none: no body (1xx/204/304); length: Content-Length; chunked; eof: an HTTP/1.0 client and a
// stream of unknown length, delimited by closing the connection.
enum class Framing { none, length, chunked, eof };

struct HeadPlan {
    Framing framing = Framing::none;
    uint64_t length = 0;  // for Framing::length
};

// Decides the framing of `res` (no body for 1xx/204/304; Content-Length for string and file bodies
// and streams of known length; chunked otherwise).
HeadPlan plan_body(const Response& res, int version = 11);

// Serializes the status line and header fields (plus Date, Server, Content-Length or
// Transfer-Encoding, Connection) ending with the blank line. Header fields a handler set with CR,
// LF or NUL in a name or value are dropped (no response splitting); handler-set Content-Length,
// Transfer-Encoding and Connection are replaced by the server's.
std::string serialize_head(const Response& res, const HeadPlan& plan, bool keep_alive, int version,
                           std::string_view date, std::string_view server_name);

struct ParseLimits {
    size_t max_header_bytes = 16 * 1024;
    size_t max_body_bytes = 1024 * 1024;
};

struct ParseResult {
    int status = 0;        // 0 = ok, else the 4xx to answer (400, 413, 431, 501, 505)
    std::string error;     // why, for the log
    Request request;
    bool keep_alive = false;
    size_t consumed = 0;   // bytes of `bytes` the request used (pipelining)
    bool incomplete = false;  // more bytes needed
};

// Parses one request from `bytes` with Beast's parser and fills a Request the way the server does.
ParseResult parse_request(std::string_view bytes, const ParseLimits& limits = {});

}  // namespace mb::http
