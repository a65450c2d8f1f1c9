#pragma once
// Router: (method, path pattern) → handler. Pure: no sockets, no Boost; the Server calls
// `dispatch` once per request, tests call it directly.
//
// Patterns are matched segment by segment on the percent-decoded path; empty segments are
// ignored, so "/boot//x.ipxe" and "/redfish/v1/" match "/boot/x.ipxe" and "/redfish/v1" (UEFI
// HTTP boot never follows a redirect, so we never answer one for a spelling difference).
//   "/v1/continue"                      literal segments
//   "/redfish/v1/Systems/{id}"          {name} captures one whole segment
//   "/boot/{mac}.ipxe"                  a capture with a literal prefix and/or suffix ("{mac}.ipxe")
//   "/images/{path*}"                   a trailing {name*} captures the rest ("a/b/c", may be "")
// When several routes match, the more specific wins, compared segment by segment: literal >
// capture with prefix/suffix > plain capture > rest capture; then the earlier registration.
// A route registered for GET also answers HEAD (the server sends the head without the body).
// A path that matches but not for this method gives 405 with an Allow header.
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace mb::http {

// Calls back exactly once with the response, from any thread, now or later. If the last copy
// is destroyed without being called, the client gets a 500 (a handler cannot hang a connection).
using Responder = std::function<void(Response)>;
// A synchronous handler. Throwing mb::Error maps to 400 (kExitDataErr, kExitUsage), 404
// (kExitNoInput), 503 (kExitUnavailable), else 500; any other exception is 500.
using Handler = std::function<Response(const Request&)>;
// An asynchronous handler. `req` stays valid until `respond` is called.
using AsyncHandler = std::function<void(const Request& req, Responder respond)>;

struct RouteOptions {
    // Largest request body accepted on this route (413 above it); unset = ServerOptions default.
    std::optional<size_t> max_body = std::nullopt;
    // The same, read at every request (a setting that a reload may change); wins over max_body.
    std::shared_ptr<const std::atomic<size_t>> live_max_body = nullptr;
    // Label for metrics and the access log; default = the pattern.
    std::string name = {};
};

class Router {
public:
    // `methods`: "GET", "GET,POST", or "*" for any method.
    Router& route(std::string_view methods, std::string_view pattern, Handler handler, RouteOptions options = {});
    Router& route_async(std::string_view methods, std::string_view pattern, AsyncHandler handler,
                        RouteOptions options = {});
    Router& get(std::string_view pattern, Handler handler, RouteOptions options = {}) {
        return route("GET", pattern, std::move(handler), std::move(options));
    }
    Router& post(std::string_view pattern, Handler handler, RouteOptions options = {}) {
        return route("POST", pattern, std::move(handler), std::move(options));
    }
    // Everything under `prefix` ("/images/talos"), for any method unless given: the remainder of
    // the path is in req.param("path") ("" for the prefix itself).
    Router& mount(std::string_view prefix, AsyncHandler handler, std::string_view methods = "*",
                  RouteOptions options = {});
    // Answer for paths no route matches (default: 404 text/plain).
    void set_not_found(Handler handler) { not_found_ = std::move(handler); }

    struct Route;
    struct Match {
        const Route* route = nullptr;  // set when path and method matched
        std::map<std::string, std::string> params;
        std::string allow;                              // when only the path matched: "GET, HEAD, POST"
        std::optional<size_t> max_body = std::nullopt;  // of the matched route
        std::string name;                               // metrics label of the matched route
    };
    Match match(std::string_view method, std::string_view path) const;

    // Matches, fills req.params/req.route and calls the handler (or answers 404/405).
    void dispatch(Request& req, const Match& match, Responder respond) const;
    void dispatch(Request& req, Responder respond) const;
    // Synchronous convenience for tests and one-shot verbs: only for synchronous handlers or async
    // ones that respond before returning; otherwise 500.
    Response handle(Request req) const;

    size_t size() const { return routes_.size(); }

private:
    Router& add(std::string_view methods, std::string_view pattern, AsyncHandler handler, RouteOptions options);
    std::vector<std::shared_ptr<Route>> routes_;
    Handler not_found_;
};

// Splits a path on '/', dropping empty segments.
std::vector<std::string_view> path_segments(std::string_view path);

}  // namespace mb::http
