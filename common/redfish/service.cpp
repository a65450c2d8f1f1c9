#include "redfish/service.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "core/strings.hpp"
#include "log/log.hpp"

namespace mb::redfish {

using ojson = nlohmann::ordered_json;

const char* reset_name(ResetType t) {
    switch (t) {
        case ResetType::on: return "On";
        case ResetType::force_off: return "ForceOff";
        case ResetType::force_restart: return "ForceRestart";
        case ResetType::power_cycle: return "PowerCycle";
    }
    return "?";
}

const char* privilege_name(Privilege p) {
    switch (p) {
        case Privilege::none: return "NoAuth";
        case Privilege::login: return "Login";
        case Privilege::configure_components: return "ConfigureComponents";
        case Privilege::configure_manager: return "ConfigureManager";
        case Privilege::configure_users: return "ConfigureUsers";
        case Privilege::configure_self: return "ConfigureSelf";
    }
    return "?";
}

std::vector<Privilege> role_privileges(std::string_view role) {
    if (role == "Administrator")
        return {Privilege::login, Privilege::configure_components, Privilege::configure_manager,
                Privilege::configure_users, Privilege::configure_self};
    if (role == "Operator") return {Privilege::login, Privilege::configure_components, Privilege::configure_self};
    if (role == "ReadOnly") return {Privilege::login, Privilege::configure_self};
    return {};
}

bool Context::has(Privilege p) const {
    if (p == Privilege::none) return true;
    auto privs = role_privileges(role);
    return std::find(privs.begin(), privs.end(), p) != privs.end();
}

struct Service::Route {
    std::vector<std::string> segments;  // "{}" = capture
    struct Method {
        Privilege privilege;
        Handler handler;
    };
    std::map<std::string, Method> methods;
    std::string allow() const {
        std::vector<std::string> m;
        for (auto& [k, _] : methods) m.push_back(k);
        if (methods.count("GET")) m.push_back("HEAD");
        std::sort(m.begin(), m.end());
        return join(m, ", ");
    }
};

struct Service::Match {
    Route* route;
    std::vector<std::string> params;
};

Service::Service(ServiceConfig config, Backend& backend)
    : config_(std::move(config)), backend_(backend), session_timeout_s_(config_.session_timeout_s) {
    try {
        auto st = backend_.load_service_state();
        if (st.is_object() && st.contains("SessionTimeout") && st["SessionTimeout"].is_number_integer())
            session_timeout_s_ = st["SessionTimeout"].get<int>();
    } catch (const std::exception& e) {
        log::warn("redfish service state unreadable, using defaults: {}", e.what());
    }
    register_service_root(*this);
    register_sessions(*this);
    register_accounts(*this);
    register_systems(*this);
    register_bios(*this);
    register_chassis(*this);
    register_managers(*this);
    register_update_service(*this);
    register_tasks(*this);
}

Service::~Service() { *alive_ = false; }

void Service::route(std::string pattern, std::string method, Privilege privilege, Handler handler) {
    auto segs = split(pattern, '/', true);
    for (auto& r : routes_) {
        if (r->segments == segs) {
            r->methods[method] = {privilege, std::move(handler)};
            return;
        }
    }
    auto r = std::make_unique<Route>();
    r->segments = std::move(segs);
    r->methods[method] = {privilege, std::move(handler)};
    routes_.push_back(std::move(r));
}

std::optional<Service::Match> Service::match(const std::string& path) {
    auto segs = split(path, '/', true);
    for (auto& r : routes_) {
        if (r->segments.size() != segs.size()) continue;
        Match m{r.get(), {}};
        bool ok = true;
        for (size_t i = 0; i < segs.size() && ok; ++i) {
            if (r->segments[i] == "{}")
                m.params.push_back(segs[i]);
            else
                ok = r->segments[i] == segs[i];
        }
        if (ok) return m;
    }
    return std::nullopt;
}

const DeviceInfo* Service::find_device(std::string_view id) {
    for (auto& d : devices_)
        if (d.id == id) return &d;
    return nullptr;
}

std::string Service::etag_of(const ojson& body) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return fmt::format("\"{:016X}\"", h);
}

const Account* Service::check_password(std::string_view user, std::string_view password) const {
    const Account* found = nullptr;
    for (auto& a : config_.accounts) {
        bool same_user = a.username.size() == user.size() && CRYPTO_memcmp(a.username.data(), user.data(), user.size()) == 0;
        bool same_pw = a.password.size() == password.size() &&
                       CRYPTO_memcmp(a.password.data(), password.data(), password.size()) == 0;
        if (same_user && same_pw && !a.password.empty()) found = &a;
    }
    return found;
}

namespace {

std::string random_hex(size_t bytes) {
    std::vector<unsigned char> b(bytes);
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("RAND_bytes failed");
    return to_hex(b);
}

std::string random_token() {
    unsigned char b[24];
    if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
    unsigned char out[40];
    int n = EVP_EncodeBlock(out, b, sizeof b);
    std::string t(reinterpret_cast<char*>(out), static_cast<size_t>(n));
    for (auto& c : t) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return t;
}

std::optional<std::string> base64_decode(std::string_view in) {
    std::string clean(trim(in));
    if (clean.empty() || clean.size() % 4 != 0 || clean.size() > 1024) return std::nullopt;
    std::string out(clean.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
    if (n < 0) return std::nullopt;
    size_t pad = 0;
    if (clean.back() == '=') ++pad;
    if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

bool is_open(const std::string& path, const std::string& method) {
    if (method == "GET" || method == "HEAD")
        return path == "/redfish" || path == "/redfish/v1" || path == "/redfish/v1/odata" ||
               path == "/redfish/v1/$metadata";
    if (method == "POST")
        return path == "/redfish/v1/SessionService/Sessions" || path == "/redfish/v1/SessionService/Sessions/Members";
    return false;
}

}  // namespace

Session* Service::create_session(const std::string& user, const std::string& role, const std::string& client,
                                 std::chrono::steady_clock::time_point now) {
    auto timeout = std::chrono::seconds(session_timeout_s_);
    std::erase_if(sessions_, [&](const Session& s) { return now - s.last_used > timeout; });
    if (sessions_.size() >= config_.max_sessions) return nullptr;
    Session s;
    s.id = random_hex(8);
    s.token = random_token();
    s.username = user;
    s.role = role;
    s.last_used = now;
    s.client = client;
    sessions_.push_back(std::move(s));
    return &sessions_.back();
}

bool Service::delete_session(const std::string& id) {
    auto before = sessions_.size();
    std::erase_if(sessions_, [&](const Session& s) { return s.id == id; });
    return sessions_.size() != before;
}

std::vector<Session> Service::sessions() const { return sessions_; }

const Session* Service::find_session(const std::string& id) const {
    for (auto& s : sessions_)
        if (s.id == id) return &s;
    return nullptr;
}

void Service::set_session_timeout(int s) {
    session_timeout_s_ = s;
    auto st = backend_.load_service_state();
    if (!st.is_object()) st = nlohmann::json::object();
    st["SessionTimeout"] = s;
    backend_.store_service_state(st);
}

std::string Service::create_task(const std::string& name, std::chrono::system_clock::time_point now) {
    std::lock_guard lock(task_mutex_);
    int n = next_task_++;
    Task t;
    t.id = std::to_string(n);
    t.name = name;
    t.start_time = iso_time(now);
    tasks_[n] = t;
    while (tasks_.size() > 200) tasks_.erase(tasks_.begin());
    return t.id;
}

void Service::update_task(const std::string& id, int percent, bool finished, bool ok, const std::string& message) {
    std::lock_guard lock(task_mutex_);
    auto n = parse_uint(id, 1u << 30);
    if (!n) return;
    auto it = tasks_.find(static_cast<int>(*n));
    if (it == tasks_.end()) return;
    auto& t = it->second;
    t.percent = std::clamp(percent, 0, 100);
    if (!message.empty()) t.message = message;
    if (finished) {
        t.state = ok ? "Completed" : "Exception";
        t.status = ok ? "OK" : "Critical";
        if (ok) t.percent = 100;
        t.end_time = iso_time(std::chrono::system_clock::now());
    }
}

std::optional<Task> Service::task(const std::string& id) const {
    std::lock_guard lock(task_mutex_);
    auto n = parse_uint(id, 1u << 30);
    if (!n) return std::nullopt;
    auto it = tasks_.find(static_cast<int>(*n));
    if (it == tasks_.end()) return std::nullopt;
    return it->second;
}

std::vector<Task> Service::tasks() const {
    std::lock_guard lock(task_mutex_);
    std::vector<Task> out;
    for (auto& [_, t] : tasks_) out.push_back(t);
    return out;
}

Progress Service::task_progress(const std::string& id) {
    std::weak_ptr<bool> alive = alive_;
    return [this, id, alive](int percent, bool finished, bool ok, const std::string& message) {
        if (auto a = alive.lock(); a && *a) update_task(id, percent, finished, ok, message);
    };
}

void Service::authenticate(Context& ctx, Reply& r, bool& ok, std::chrono::steady_clock::time_point mono) {
    ok = false;
    const auto& req = ctx.request;
    auto timeout = std::chrono::seconds(session_timeout_s_);
    if (auto token = req.header("X-Auth-Token")) {
        for (auto& s : sessions_) {
            if (s.token.size() == token->size() && CRYPTO_memcmp(s.token.data(), token->data(), token->size()) == 0) {
                if (mono - s.last_used > timeout) break;
                s.last_used = mono;
                ctx.username = s.username;
                ctx.role = s.role;
                ctx.session_id = s.id;
                ok = true;
                return;
            }
        }
        std::erase_if(sessions_, [&](const Session& s) { return mono - s.last_used > timeout; });
        messages::no_valid_session(r);
        r.header("WWW-Authenticate", "Basic realm=\"mb-redfish\"");
        return;
    }
    if (auto auth = req.header("Authorization"); auth && starts_with_icase(*auth, "Basic ")) {
        if (!req.tls && !config_.allow_credentials_over_http) {
            messages::resource_at_uri_unauthorized(r, req.path);
            r.header("WWW-Authenticate", "Basic realm=\"mb-redfish\"");
            return;
        }
        auto decoded = base64_decode(auth->substr(6));
        if (decoded) {
            auto colon = decoded->find(':');
            if (colon != std::string::npos) {
                if (auto* a = check_password(decoded->substr(0, colon), decoded->substr(colon + 1))) {
                    ctx.username = a->username;
                    ctx.role = a->role;
                    ok = true;
                    return;
                }
            }
        }
    }
    messages::resource_at_uri_unauthorized(r, req.path);
    r.header("WWW-Authenticate", "Basic realm=\"mb-redfish\"");
}

http::Response Service::handle(const http::Request& request) {
    return handle_at(request, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
}

http::Response Service::handle_at(const http::Request& req, std::chrono::system_clock::time_point now,
                                  std::chrono::steady_clock::time_point mono) {
    Reply r;
    std::string path = req.path;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    std::vector<std::string> no_params;
    Context ctx{*this, req, no_params, ojson::object(), "", "", "", now};
    const std::string& method = req.method;
    bool is_get = method == "GET" || method == "HEAD";
    std::string allow;
    try {
        if (req.body.size() > config_.max_body) {
            messages::payload_too_large(r, config_.max_body);
            return finish(req, r, allow, false);
        }
        // Authentication first, before any other header or URI validation (SEC_HEADERS_FIRST).
        if (!is_open(path, method)) {
            bool ok = false;
            authenticate(ctx, r, ok, mono);
            if (!ok) return finish(req, r, allow, false);
        }
        auto m = match(path);
        if (!m) {
            messages::resource_missing_at_uri(r, req.path);
            return finish(req, r, allow, false);
        }
        allow = m->route->allow();
        auto method_key = method == "HEAD" ? std::string("GET") : method;
        auto mit = m->route->methods.find(method_key);
        if (mit == m->route->methods.end()) {
            messages::operation_not_allowed(r);
            return finish(req, r, allow, false);
        }
        if (!ctx.has(mit->second.privilege)) {
            messages::insufficient_privilege(r);
            return finish(req, r, allow, false);
        }
        if (auto v = req.header("OData-Version"); v && trim(*v) != "4.0") {
            messages::precondition_failed(r);
            return finish(req, r, allow, false);
        }
        for (auto& [k, v] : req.query_params()) {
            if (!k.empty() && k[0] == '$') {
                messages::query_not_supported(r, k);
                return finish(req, r, allow, false);
            }
            if (k == "only" || k == "excerpt") {
                messages::query_parameter_value_format_error(r, v, k);
                return finish(req, r, allow, false);
            }
        }
        devices_ = backend_.devices();
        Context hctx{*this, req, m->params, ojson::object(), ctx.username, ctx.role, ctx.session_id, now};
        if (method == "POST" || method == "PATCH" || method == "PUT") {
            auto text = trim(req.body);
            if (!text.empty()) {
                auto body = ojson::parse(text, nullptr, false);
                if (body.is_discarded()) {
                    messages::malformed_json(r);
                    return finish(req, r, allow, false);
                }
                if (!body.is_object()) {
                    messages::unrecognized_request_body(r);
                    return finish(req, r, allow, false);
                }
                hctx.body = std::move(body);
            } else if (method != "POST") {
                messages::unrecognized_request_body(r);
                return finish(req, r, allow, false);
            }
        }
        if ((method == "PATCH" || method == "PUT" || method == "DELETE") && req.header("If-Match")) {
            auto git = m->route->methods.find("GET");
            if (git != m->route->methods.end()) {
                Reply current;
                git->second.handler(hctx, current);
                auto tag = etag_of(current.body);
                bool matched = false;
                for (auto& t : split(*req.header("If-Match"), ',', true)) {
                    auto tt = std::string(trim(t));
                    matched |= tt == "*" || tt == tag;
                }
                if (!current.ok() || !matched) {
                    if (!current.ok()) r = current;
                    else messages::precondition_failed(r);
                    return finish(req, r, allow, false);
                }
            }
        }
        mit->second.handler(hctx, r);
        return finish(req, r, allow, is_get);
    } catch (const std::exception& e) {
        static log::RateLimiter limiter(1.0, 5.0);
        log::write_limited(limiter, log::Level::error, "request failed",
                           {{"method", method}, {"path", req.path}, {"error", e.what()}});
        r = Reply{};
        messages::internal_error(r);
        return finish(req, r, allow, false);
    }
}

http::Response Service::finish(const http::Request& req, Reply& r, const std::string& allow, bool is_get) {
    http::Response res;
    res.status = r.status;
    res.headers.add("OData-Version", "4.0");
    res.headers.add("Cache-Control", "no-cache");
    if (!allow.empty() && (is_get || r.status == 405)) res.headers.add("Allow", allow);
    bool has_body = !r.body.is_null();
    for (auto& [k, v] : r.headers) res.headers.add(k, v);
    if (has_body && !res.headers.has("Content-Type")) {
        res.headers.add("Content-Type", "application/json;charset=utf-8");
        res.body = r.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (has_body && r.body.is_string()) {
        res.body = r.body.get<std::string>();
    }
    if (is_get && r.status == 200 && has_body && r.body.is_object()) {
        res.headers.add("ETag", etag_of(r.body));
        if (auto t = r.body.find("@odata.type"); t != r.body.end() && t->is_string()) {
            // "#ComputerSystem.v1_20_0.ComputerSystem" → /redfish/v1/JsonSchemas/ComputerSystem
            auto type = t->get<std::string>();
            auto name = type.substr(type.find_last_of('.') + 1);
            res.headers.add("Link", fmt::format("</redfish/v1/JsonSchemas/{}>; rel=describedby", name));
        }
    }
    if (req.method == "HEAD") {
        res.content_length = res.body.size();
        res.body.clear();
    }
    return res;
}

std::string iso_time(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec);
}

ojson odata_link(const std::string& uri) { return ojson{{"@odata.id", uri}}; }

bool only_known(Reply& r, const ojson& body, std::initializer_list<const char*> allowed, const std::string& prefix) {
    for (auto it = body.begin(); it != body.end(); ++it) {
        bool known = false;
        for (const char* a : allowed) known |= it.key() == a;
        if (!known) {
            messages::property_unknown(r, prefix + it.key());
            return false;
        }
    }
    return true;
}

std::string json_text(const ojson& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace mb::redfish
