#pragma once
// Private to common/http: translation between Beast's parsed request and Request. Included only by
// server.cpp and wire_parse.cpp (it pulls in Boost.Beast).
#include <boost/beast/http.hpp>
#include <string>

#include "http/message.hpp"

namespace mb::http::detail {

// Fills method, target, path, query, version and headers of `req` from a parsed header. Returns 0,
// or the status to answer (400 bad target, 505 version) with `error` saying why.
int fill_request_head(const boost::beast::http::request_header<>& head, Request& req, std::string& error);

// The status to answer for a Beast parse error (400, 413, 431, 501).
int status_for_parse_error(const boost::beast::error_code& ec);

}  // namespace mb::http::detail
