// Beast-backed request parsing shared by the server and parse_request() (tests, fuzzing).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <iterator>

#include "core/strings.hpp"
#include "http/beast_glue.hpp"
#include "http/wire.hpp"

namespace bhttp = boost::beast::http;

namespace mb::http {

namespace detail {

int fill_request_head(const bhttp::request_header<>& head, Request& req, std::string& error) {
    if (head.version() != 10 && head.version() != 11) {
        error = "unsupported HTTP version";
        return 505;
    }
    req.version = head.version();
    req.method = std::string(head.method_string());
    req.target = std::string(head.target());
    req.headers.reserve(static_cast<size_t>(std::distance(head.begin(), head.end())));
    for (const auto& field : head) req.headers.add(std::string(field.name_string()), std::string(field.value()));
    auto target = parse_target(req.target);
    if (!target) {
        error = "bad request-target " + mb::quoted(req.target);
        return 400;
    }
    if (auto te = req.headers.get("Transfer-Encoding")) {
        // RFC 9112 §6.1: a request whose last transfer coding is not chunked cannot be framed.
        const auto codings = split(*te, ',', true);
        if (codings.empty() || !iequals(trim(codings.back()), "chunked")) {
            error = "unsupported Transfer-Encoding " + mb::quoted(*te);
            return 501;
        }
    }
    req.path = std::move(target->path);
    req.query = std::move(target->query);
    return 0;
}

int status_for_parse_error(const boost::beast::error_code& ec) {
    if (ec == bhttp::error::header_limit) return 431;
    if (ec == bhttp::error::body_limit) return 413;
    if (ec == bhttp::error::bad_transfer_encoding) return 400;  // e.g. chunked not last, or with Content-Length
    if (ec == bhttp::error::bad_version) return 505;
    return 400;
}

}  // namespace detail

ParseResult parse_request(std::string_view bytes, const ParseLimits& limits) {
    ParseResult out;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(limits.max_header_bytes, UINT32_MAX)));
    parser.body_limit(limits.max_body_bytes);
    parser.eager(true);
    boost::beast::error_code ec;
    size_t used = 0;
    while (used < bytes.size() && !parser.is_done()) {
        const size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
        if (ec == bhttp::error::need_more) {
            ec = {};
            break;
        }
        if (ec) break;
        if (n == 0) break;
        used += n;
    }
    if (!ec && !parser.is_done() && parser.is_header_done() && parser.need_eof() && used == bytes.size()) {
        parser.put_eof(ec);
    }
    out.consumed = used;
    if (ec) {
        out.status = detail::status_for_parse_error(ec);
        out.error = ec.message();
        return out;
    }
    if (!parser.is_header_done()) {
        if (bytes.size() > limits.max_header_bytes) {
            out.status = 431;
            out.error = "header too large";
            return out;
        }
        out.incomplete = true;
        return out;
    }
    const int st = detail::fill_request_head(parser.get().base(), out.request, out.error);
    if (st) {
        out.status = st;
        return out;
    }
    if (!parser.is_done()) {
        out.incomplete = true;
        return out;
    }
    out.keep_alive = parser.get().keep_alive();
    out.request.body = std::move(parser.get().body());
    return out;
}

}  // namespace mb::http
