#include "http/router.hpp"

#include <algorithm>
#include <atomic>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"

namespace mb::http {

namespace {

enum class SegKind { literal = 3, affixed = 2, capture = 1, rest = 0 };

struct Segment {
    SegKind kind = SegKind::literal;
    std::string literal;  // literal text, or prefix for captures
    std::string suffix;
    std::string name;
};

}  // namespace

struct Router::Route {
    std::vector<std::string> methods;  // upper-case; empty = any
    std::string pattern;
    std::vector<Segment> segments;
    AsyncHandler handler;
    RouteOptions options;

    bool allows(std::string_view method) const {
        if (methods.empty()) return true;
        for (const auto& m : methods) {
            if (m == method) return true;
            if (m == "GET" && method == "HEAD") return true;
        }
        return false;
    }
};

std::vector<std::string_view> path_segments(std::string_view path) {
    std::vector<std::string_view> out;
    out.reserve(8);
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        if (j > i) out.push_back(path.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

namespace {

std::vector<Segment> compile(std::string_view pattern) {
    if (pattern.empty() || pattern[0] != '/')
        throw Error(kExitSoftware, "route pattern must start with '/': " + mb::quoted(pattern));
    std::vector<Segment> out;
    const auto parts = path_segments(pattern);
    for (size_t i = 0; i < parts.size(); ++i) {
        const auto part = parts[i];
        Segment seg;
        const auto open = part.find('{');
        if (open == std::string_view::npos) {
            if (part.find('}') != std::string_view::npos)
                throw Error(kExitSoftware, "route pattern has a stray '}': " + mb::quoted(pattern));
            seg.literal = std::string(part);
            out.push_back(std::move(seg));
            continue;
        }
        const auto close = part.find('}', open);
        if (close == std::string_view::npos || part.find('{', open + 1) != std::string_view::npos ||
            part.find('}', close + 1) != std::string_view::npos || close == open + 1)
            throw Error(kExitSoftware, "route pattern segment is malformed: " + mb::quoted(part));
        seg.literal = std::string(part.substr(0, open));
        seg.suffix = std::string(part.substr(close + 1));
        seg.name = std::string(part.substr(open + 1, close - open - 1));
        if (seg.name.back() == '*') {
            seg.name.pop_back();
            if (i + 1 != parts.size() || !seg.literal.empty() || !seg.suffix.empty() || seg.name.empty())
                throw Error(kExitSoftware, "a {name*} capture must be a whole, last segment: " + mb::quoted(pattern));
            seg.kind = SegKind::rest;
        } else {
            seg.kind = seg.literal.empty() && seg.suffix.empty() ? SegKind::capture : SegKind::affixed;
        }
        out.push_back(std::move(seg));
    }
    return out;
}

// Matches `segs` against the compiled route; fills params and a specificity score.
bool match_route(const std::vector<Segment>& pattern, const std::vector<std::string_view>& segs,
                 std::map<std::string, std::string>& params, std::vector<int>& score) {
    size_t i = 0;
    for (const auto& p : pattern) {
        if (p.kind == SegKind::rest) {
            std::string rest;
            for (size_t k = i; k < segs.size(); ++k) {
                if (!rest.empty()) rest += '/';
                rest += segs[k];
            }
            params[p.name] = std::move(rest);
            score.push_back(static_cast<int>(SegKind::rest));
            return true;
        }
        if (i >= segs.size()) return false;
        const auto s = segs[i];
        if (p.kind == SegKind::literal) {
            if (s != p.literal) return false;
        } else {
            if (s.size() < p.literal.size() + p.suffix.size() + 1) return false;
            if (s.substr(0, p.literal.size()) != p.literal) return false;
            if (s.substr(s.size() - p.suffix.size()) != p.suffix) return false;
            params[p.name] = std::string(s.substr(p.literal.size(), s.size() - p.literal.size() - p.suffix.size()));
        }
        score.push_back(static_cast<int>(p.kind));
        ++i;
    }
    if (i != segs.size()) return false;
    score.push_back(4);  // an exact-length match beats a rest capture of ""
    return true;
}

int status_for(const Error& e) {
    switch (e.code()) {
        case kExitDataErr:
        case kExitUsage: return 400;
        case kExitNoInput: return 404;
        case kExitUnavailable:
        case kExitTempFail: return 503;
        default: return 500;
    }
}

log::RateLimiter g_handler_errors(1.0, 10.0);

// Shared by all copies of one Responder: sends a 500 if nobody responded.
struct ResponderState {
    Responder respond;
    std::atomic<bool> done{false};
    std::string route;
    ~ResponderState() {
        if (!done.exchange(true)) {
            log::write_limited(g_handler_errors, log::Level::error, "handler dropped its responder",
                               {{"route", route}});
            respond(text_response(500, "internal error: no response\n"));
        }
    }
};

}  // namespace

Router& Router::add(std::string_view methods, std::string_view pattern, AsyncHandler handler, RouteOptions options) {
    auto r = std::make_shared<Route>();
    if (methods != "*")
        for (const auto& m : split(methods, ',', true)) r->methods.push_back(to_upper(trim(m)));
    r->pattern = std::string(pattern);
    r->segments = compile(pattern);
    r->handler = std::move(handler);
    if (options.name.empty()) options.name = r->pattern;
    r->options = std::move(options);
    routes_.push_back(std::move(r));
    return *this;
}

Router& Router::route(std::string_view methods, std::string_view pattern, Handler handler, RouteOptions options) {
    return add(
        methods, pattern, [h = std::move(handler)](const Request& req, Responder respond) { respond(h(req)); },
        std::move(options));
}

Router& Router::route_async(std::string_view methods, std::string_view pattern, AsyncHandler handler,
                            RouteOptions options) {
    return add(methods, pattern, std::move(handler), std::move(options));
}

Router& Router::mount(std::string_view prefix, AsyncHandler handler, std::string_view methods, RouteOptions options) {
    std::string pattern(prefix);
    while (!pattern.empty() && pattern.back() == '/') pattern.pop_back();
    pattern += "/{path*}";
    return add(methods, pattern, std::move(handler), std::move(options));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match best;
    std::vector<int> best_score;
    std::vector<std::string> allow;
    const auto segs = path_segments(path);
    for (const auto& r : routes_) {
        std::map<std::string, std::string> params;
        std::vector<int> score;
        if (!match_route(r->segments, segs, params, score)) continue;
        if (!r->allows(method)) {
            if (r->methods.empty()) continue;
            for (const auto& m : r->methods) {
                allow.push_back(m);
                if (m == "GET") allow.push_back("HEAD");
            }
            continue;
        }
        if (!best.route || score > best_score) {
            best.route = r.get();
            best.params = std::move(params);
            best.max_body = r->options.live_max_body ? std::optional<size_t>(r->options.live_max_body->load())
                                                     : r->options.max_body;
            best.name = r->options.name;
            best_score = std::move(score);
        }
    }
    if (!best.route && !allow.empty()) {
        std::sort(allow.begin(), allow.end());
        allow.erase(std::unique(allow.begin(), allow.end()), allow.end());
        best.allow = join(allow, ", ");
    }
    return best;
}

void Router::dispatch(Request& req, Responder respond) const {
    dispatch(req, match(req.method, req.path), std::move(respond));
}

void Router::dispatch(Request& req, const Match& m, Responder respond) const {
    if (!m.route) {
        if (!m.allow.empty()) {
            req.route = "(method not allowed)";
            auto res = text_response(405, "method not allowed\n");
            res.headers.set("Allow", m.allow);
            respond(std::move(res));
            return;
        }
        req.route = "(not found)";
        if (not_found_) {
            try {
                respond(not_found_(req));
                return;
            } catch (const std::exception&) {
            }
        }
        respond(text_response(404, "not found\n"));
        return;
    }
    req.params = m.params;
    req.route = m.name;
    auto state = std::make_shared<ResponderState>();
    state->respond = std::move(respond);
    state->route = m.name;
    Responder once = [state](Response res) {
        if (state->done.exchange(true)) {
            log::write_limited(g_handler_errors, log::Level::error, "handler responded twice",
                               {{"route", state->route}});
            return;
        }
        state->respond(std::move(res));
    };
    try {
        m.route->handler(req, once);
    } catch (const Error& e) {
        const int status = status_for(e);
        if (status >= 500)
            log::write_limited(g_handler_errors, log::Level::error, "handler failed",
                               {{"route", m.name}, {"error", e.what()}});
        if (!state->done.exchange(true)) state->respond(text_response(status, std::string(e.what()) + "\n"));
    } catch (const std::exception& e) {
        log::write_limited(g_handler_errors, log::Level::error, "handler failed",
                           {{"route", m.name}, {"error", e.what()}});
        if (!state->done.exchange(true)) state->respond(text_response(500, "internal error\n"));
    }
}

Response Router::handle(Request req) const {
    auto out = std::make_shared<std::optional<Response>>();
    dispatch(req, [out](Response r) { *out = std::move(r); });
    if (!*out) return text_response(500, "internal error: handler did not respond synchronously\n");
    return std::move(**out);
}

}  // namespace mb::http
