#include "redfish/service.hpp"

#include <crypt.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <span>

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

bool role_has(std::string_view role, Privilege p) {
    switch (p) {
        case Privilege::none: return true;
        case Privilege::login:
        case Privilege::configure_self: return role == "Administrator" || role == "Operator" || role == "ReadOnly";
        case Privilege::configure_components: return role == "Administrator" || role == "Operator";
        case Privilege::configure_manager:
        case Privilege::configure_users: return role == "Administrator";
    }
    return false;
}

bool Context::has(Privilege p) const {
    return role_has(role, p);
}

struct Service::Route {
    std::vector<std::string> segments;  // "{}" = capture
    struct Method {
        Privilege privilege;
        Handler handler;
    };
    std::map<std::string, Method, std::less<>> methods;
    std::string allow;  // the Allow header value, kept in step with `methods`
    void update_allow() {
        std::vector<std::string> m;
        for (auto& [k, _] : methods) m.push_back(k);
        if (methods.count("GET")) m.push_back("HEAD");
        std::sort(m.begin(), m.end());
        allow = join(m, ", ");
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
    try {
        load_persistent(std::chrono::steady_clock::now());
    } catch (const std::exception& e) {
        log::warn("redfish sessions/tasks from the service state not restored: {}", e.what());
    }
    writer_ = std::thread([this] { writer_loop(); });
    register_service_root(*this);
    register_sessions(*this);
    register_accounts(*this);
    register_systems(*this);
    register_bios(*this);
    register_chassis(*this);
    register_managers(*this);
    register_virtual_media(*this);
    register_update_service(*this);
    register_tasks(*this);
}

Service::~Service() {
    *alive_ = false;
    {
        std::lock_guard lock(state_mutex_);
        stopping_ = true;
        state_cv_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
}

void Service::route(std::string pattern, std::string method, Privilege privilege, Handler handler) {
    auto segs = split(pattern, '/', true);
    for (auto& r : routes_) {
        if (r->segments == segs) {
            r->methods[method] = {privilege, std::move(handler)};
            r->update_allow();
            return;
        }
    }
    auto r = std::make_unique<Route>();
    r->segments = std::move(segs);
    r->methods[method] = {privilege, std::move(handler)};
    r->update_allow();
    routes_.push_back(std::move(r));
}

std::optional<Service::Match> Service::match(std::string_view path) {
    // The path's segments as views (no copies); deeper paths than any route cannot match.
    constexpr size_t kMaxSegments = 16;
    std::array<std::string_view, kMaxSegments> segs;
    size_t n = 0;
    for (size_t pos = 0; pos <= path.size();) {
        auto slash = path.find('/', pos);
        if (slash == std::string_view::npos) slash = path.size();
        if (slash > pos) {
            if (n == kMaxSegments) return std::nullopt;
            segs[n++] = path.substr(pos, slash - pos);
        }
        pos = slash + 1;
    }
    for (auto& r : routes_) {
        if (r->segments.size() != n) continue;
        bool ok = true;
        for (size_t i = 0; i < n && ok; ++i) ok = r->segments[i] == "{}" || r->segments[i] == segs[i];
        if (!ok) continue;
        Match m{r.get(), {}};
        for (size_t i = 0; i < n; ++i)
            if (r->segments[i] == "{}") m.params.emplace_back(segs[i]);
        return m;
    }
    return std::nullopt;
}

const DeviceInfo* Service::find_device(std::string_view id) const {
    auto it = device_index_.find(id);
    return it == device_index_.end() ? nullptr : &devices_[it->second];
}

void Service::refresh_devices() {
    const uint64_t gen = backend_.devices_generation();
    if (gen != 0 && gen == devices_generation_) return;
    devices_ = backend_.devices();
    devices_generation_ = gen;
    // A device's Manager shares its System Id: one named like the service's Manager uses its MAC.
    for (auto& d : devices_)
        if (d.id == config_.manager_id) d.id = d.mac.dashed();
    device_index_.clear();
    for (size_t i = 0; i < devices_.size(); ++i) device_index_.emplace(devices_[i].id, i);
}

namespace {

std::string serialise(const ojson& body) {
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "#ComputerSystem.v1_20_0.ComputerSystem" → "ComputerSystem"; "" without @odata.type.
std::string schema_of(const ojson& body) {
    if (!body.is_object()) return "";
    auto t = body.find("@odata.type");
    if (t == body.end() || !t->is_string()) return "";
    auto type = t->get<std::string>();
    return type.substr(type.find_last_of('.') + 1);
}

}  // namespace

std::string Service::etag_of_text(std::string_view text) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return fmt::format("\"{:016X}\"", h);
}

std::string Service::etag_of(const ojson& body) {
    return etag_of_text(serialise(body));
}

bool Service::serve_cached(Context& c, Reply& r, uint64_t stamp, std::string_view variant) {
    if (stamp == 0) return false;
    auto it = render_cache_.find(c.request.path);
    if (it == render_cache_.end() || it->second.stamp != stamp || it->second.variant != variant) return false;
    ++render_hits_;
    r.rendered = it->second.body;
    return true;
}

void Service::remember_rendering(Context& c, Reply& r, uint64_t stamp, std::string_view variant) {
    if (stamp == 0 || r.status != 200 || !r.body.is_object() || !r.headers.empty()) return;
    auto rb = std::make_shared<RenderedBody>();
    rb->text = serialise(r.body);
    rb->etag = etag_of_text(rb->text);
    rb->schema = schema_of(r.body);
    if (!rb->schema.empty()) rb->link = fmt::format("</redfish/v1/JsonSchemas/{}>; rel=describedby", rb->schema);
    if (render_cache_.size() >= 4096) render_cache_.clear();  // bounded: ids come from the device list
    render_cache_[c.request.path] = {stamp, std::string(variant), rb};
    r.rendered = std::move(rb);
}

bool password_matches(const std::string& stored, std::string_view password) {
    if (stored.empty()) return false;
    if (stored[0] == '$') {
        // A crypt(3) hash ($6$ SHA-512, $5$, $y$ yescrypt, $2b$ ...): hash the attempt with its salt.
        std::string attempt(password);
        crypt_data data{};
        const char* h = crypt_r(attempt.c_str(), stored.c_str(), &data);
        if (!h || h[0] == '*') return false;  // "*0"/"*1": the hash could not be used
        std::string_view got(h);
        return got.size() == stored.size() && CRYPTO_memcmp(got.data(), stored.data(), got.size()) == 0;
    }
    return stored.size() == password.size() && CRYPTO_memcmp(stored.data(), password.data(), password.size()) == 0;
}

namespace {

std::string sha256_text(std::string_view s) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
    return to_hex(std::span<const uint8_t>(md, len));
}

}  // namespace

const Account* Service::check_password(std::string_view user, std::string_view password) const {
    // A crypt(3) hash costs milliseconds (SHA-512: 5000 rounds) and Basic auth sends the password
    // with every request: remember recent successes by a digest of (hash, user, password).
    auto now = std::chrono::steady_clock::now();
    const Account* found = nullptr;
    for (auto& a : config_.accounts) {
        bool same_user =
            a.username.size() == user.size() && CRYPTO_memcmp(a.username.data(), user.data(), user.size()) == 0;
        if (!same_user) continue;
        if (a.password.empty() || a.password[0] != '$') {
            if (password_matches(a.password, password)) found = &a;
            continue;
        }
        std::string key = sha256_text(a.password + '\0' + std::string(user) + '\0' + std::string(password));
        std::lock_guard lock(verified_mutex_);
        auto it = verified_.find(key);
        if (it != verified_.end() && now - it->second < std::chrono::minutes(5)) {
            found = &a;
            continue;
        }
        if (password_matches(a.password, password)) {
            if (verified_.size() >= 256) verified_.clear();
            verified_[key] = now;
            found = &a;
        }
    }
    return found;
}

namespace {

int64_t unix_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

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

bool is_open(std::string_view path, const std::string& method) {
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
    s.token_hash = sha256_text(s.token);
    s.username = user;
    s.role = role;
    s.last_used = now;
    s.last_used_wall = std::chrono::system_clock::now();
    s.persisted_use = now;
    s.client = client;
    sessions_.push_back(std::move(s));
    save_sessions();
    return &sessions_.back();
}

bool Service::delete_session(const std::string& id) {
    auto before = sessions_.size();
    std::erase_if(sessions_, [&](const Session& s) { return s.id == id; });
    if (sessions_.size() == before) return false;
    save_sessions();
    return true;
}

void Service::save_state_key(const char* key, nlohmann::json value) {
    std::lock_guard lock(state_mutex_);
    pending_state_[key] = std::move(value);
    state_cv_.notify_all();
}

void Service::writer_loop() {
    std::unique_lock lock(state_mutex_);
    for (;;) {
        state_cv_.wait(lock, [&] { return stopping_ || !pending_state_.empty(); });
        if (pending_state_.empty()) return;  // stopping, all written
        auto batch = std::move(pending_state_);
        pending_state_.clear();
        writing_ = true;
        const bool stopping = stopping_;
        lock.unlock();
        try {
            auto st = backend_.load_service_state();
            if (!st.is_object()) st = nlohmann::json::object();
            for (auto& [k, v] : batch) st[k] = k == "Tasks" && v.is_null() ? tasks_json() : std::move(v);
            backend_.store_service_state(st);
        } catch (const std::exception& e) {
            log::warn("redfish service state not saved: {}", e.what());
        }
        if (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(50));  // coalesce bursts
        lock.lock();
        writing_ = false;
        state_cv_.notify_all();
    }
}

void Service::flush_state() {
    std::unique_lock lock(state_mutex_);
    state_cv_.wait(lock, [&] { return pending_state_.empty() && !writing_; });
}

void Service::save_sessions() {
    auto list = nlohmann::json::array();
    for (const auto& s : sessions_)
        list.push_back({{"Id", s.id},
                        {"TokenSHA256", s.token_hash},
                        {"UserName", s.username},
                        {"RoleId", s.role},
                        {"Client", s.client},
                        {"LastUsed", unix_seconds(s.last_used_wall)}});
    save_state_key("Sessions", std::move(list));
}

nlohmann::json Service::tasks_json() const {
    auto list = nlohmann::json::array();
    std::lock_guard lock(task_mutex_);
    for (const auto& [n, t] : tasks_)
        list.push_back({{"Id", t.id},
                        {"Name", t.name},
                        {"TaskState", t.state},
                        {"TaskStatus", t.status},
                        {"PercentComplete", t.percent},
                        {"Message", t.message},
                        {"StartTime", t.start_time},
                        {"EndTime", t.end_time}});
    return list;
}

// Only marks the tasks dirty: the writer thread serialises them (no per-request cost).
void Service::save_tasks() {
    save_state_key("Tasks", nullptr);
}

void Service::load_persistent(std::chrono::steady_clock::time_point mono) {
    auto st = backend_.load_service_state();
    if (!st.is_object()) return;
    auto wall = std::chrono::system_clock::now();
    auto timeout = std::chrono::seconds(session_timeout_s_);
    if (auto it = st.find("Sessions"); it != st.end() && it->is_array()) {
        for (const auto& j : *it) {
            if (!j.is_object()) continue;
            Session s;
            s.id = j.value("Id", "");
            s.token_hash = j.value("TokenSHA256", "");
            s.username = j.value("UserName", "");
            s.role = j.value("RoleId", "");
            s.client = j.value("Client", "");
            s.last_used_wall =
                std::chrono::system_clock::time_point(std::chrono::seconds(j.value("LastUsed", int64_t{0})));
            auto idle = wall - s.last_used_wall;
            if (s.id.empty() || s.token_hash.size() != 64 || idle > timeout || idle.count() < 0) continue;
            // The account must still exist with the same role.
            bool valid = false;
            for (const auto& a : config_.accounts) valid |= a.username == s.username && a.role == s.role;
            if (!valid) continue;
            s.last_used = mono - std::chrono::duration_cast<std::chrono::steady_clock::duration>(idle);
            s.persisted_use = s.last_used;
            sessions_.push_back(std::move(s));
        }
    }
    if (auto it = st.find("Tasks"); it != st.end() && it->is_array()) {
        std::lock_guard lock(task_mutex_);
        for (const auto& j : *it) {
            if (!j.is_object()) continue;
            Task t;
            t.id = j.value("Id", "");
            auto n = parse_uint(t.id, 1u << 30);
            if (!n) continue;
            t.name = j.value("Name", "");
            t.state = j.value("TaskState", "Completed");
            t.status = j.value("TaskStatus", "OK");
            t.percent = j.value("PercentComplete", 0);
            t.message = j.value("Message", "");
            t.start_time = j.value("StartTime", "");
            t.end_time = j.value("EndTime", "");
            if (t.state != "Completed" && t.state != "Exception") {
                t.state = "Exception";
                t.status = "Critical";
                t.message = "interrupted: mb-redfish restarted while the task ran";
                t.end_time = iso_time(wall);
            }
            tasks_[static_cast<int>(*n)] = t;
            next_task_ = std::max(next_task_, static_cast<int>(*n) + 1);
        }
    }
}

std::vector<Session> Service::sessions() const {
    return sessions_;
}

const Session* Service::find_session(const std::string& id) const {
    for (auto& s : sessions_)
        if (s.id == id) return &s;
    return nullptr;
}

void Service::set_session_timeout(int s) {
    session_timeout_s_ = s;
    save_state_key("SessionTimeout", s);
}

std::string Service::create_task(const std::string& name, std::chrono::system_clock::time_point now) {
    int n;
    {
        std::lock_guard lock(task_mutex_);
        n = next_task_++;
    }
    Task t;
    t.id = std::to_string(n);
    t.name = name;
    t.start_time = iso_time(now);
    {
        std::lock_guard lock(task_mutex_);
        tasks_[n] = t;
        while (tasks_.size() > 200) tasks_.erase(tasks_.begin());
    }
    save_tasks();
    return t.id;
}

void Service::update_task(const std::string& id, int percent, bool finished, bool ok, const std::string& message) {
    {
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
    if (finished) save_tasks();  // progress steps stay in memory: no write per percent
}

void Service::drop_task(const std::string& id) {
    {
        std::lock_guard lock(task_mutex_);
        auto n = parse_uint(id, 1u << 30);
        if (!n || !tasks_.erase(static_cast<int>(*n))) return;
    }
    save_tasks();
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

bool Service::authenticate(const http::Request& req, Identity& who, Reply& r,
                           std::chrono::steady_clock::time_point mono) {
    auto timeout = std::chrono::seconds(session_timeout_s_);
    if (auto token = req.header("X-Auth-Token")) {
        const auto hash = sha256_text(*token);
        for (auto& s : sessions_) {
            if (s.token_hash.size() == hash.size() &&
                CRYPTO_memcmp(s.token_hash.data(), hash.data(), hash.size()) == 0) {
                if (mono - s.last_used > timeout) break;
                s.last_used = mono;
                s.last_used_wall = std::chrono::system_clock::now();
                who.username = s.username;
                who.role = s.role;
                who.session_id = s.id;
                // The sliding timeout survives a restart to within a minute, at one write a minute.
                if (mono - s.persisted_use > std::chrono::seconds(60)) {
                    s.persisted_use = mono;
                    save_sessions();
                }
                return true;
            }
        }
        auto n = sessions_.size();
        std::erase_if(sessions_, [&](const Session& s) { return mono - s.last_used > timeout; });
        if (sessions_.size() != n) save_sessions();
        messages::no_valid_session(r);
        r.header("WWW-Authenticate", "Basic realm=\"mb-redfish\"");
        return false;
    }
    if (auto auth = req.header("Authorization"); auth && starts_with_icase(*auth, "Basic ")) {
        if (!req.tls && !config_.allow_credentials_over_http) {
            messages::resource_at_uri_unauthorized(r, req.path);
            r.header("WWW-Authenticate", "Basic realm=\"mb-redfish\"");
            return false;
        }
        if (auto seen = basic_seen_.find(*auth); seen != basic_seen_.end()) {
            if (mono - seen->second.at < kBasicReuse) {
                who.username = seen->second.username;
                who.role = seen->second.role;
                return true;
            }
            basic_seen_.erase(seen);
        }
        auto decoded = base64_decode(auth->substr(6));
        if (decoded) {
            auto colon = decoded->find(':');
            if (colon != std::string::npos) {
                if (auto* a = check_password(decoded->substr(0, colon), decoded->substr(colon + 1))) {
                    who.username = a->username;
                    who.role = a->role;
                    if (basic_seen_.size() >= 256) basic_seen_.clear();
                    basic_seen_.emplace(std::string(*auth), BasicSeen{a->username, a->role, mono});
                    return true;
                }
            }
        }
    }
    messages::resource_at_uri_unauthorized(r, req.path);
    r.header("WWW-Authenticate", "Basic realm=\"mb-redfish\"");
    return false;
}

http::Response Service::handle(const http::Request& request) {
    return handle_at(request, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
}

http::Response Service::handle_at(const http::Request& req, std::chrono::system_clock::time_point now,
                                  std::chrono::steady_clock::time_point mono) {
    static const std::string kNoAllow;
    Reply r;
    std::string_view path = req.path;
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    const std::string& method = req.method;
    bool is_get = method == "GET" || method == "HEAD";
    const std::string* allow = &kNoAllow;
    try {
        if (req.body.size() > config_.max_body) {
            messages::payload_too_large(r, config_.max_body);
            return finish(req, r, *allow, false);
        }
        // Authentication first, before any other header or URI validation (SEC_HEADERS_FIRST).
        Identity who;
        if (!is_open(path, method) && !authenticate(req, who, r, mono)) return finish(req, r, *allow, false);
        auto m = match(path);
        if (!m) {
            messages::resource_missing_at_uri(r, req.path);
            return finish(req, r, *allow, false);
        }
        allow = &m->route->allow;
        auto mit = m->route->methods.find(method == "HEAD" ? std::string_view("GET") : std::string_view(method));
        if (mit == m->route->methods.end()) {
            messages::operation_not_allowed(r);
            return finish(req, r, *allow, false);
        }
        if (!role_has(who.role, mit->second.privilege)) {
            messages::insufficient_privilege(r);
            return finish(req, r, *allow, false);
        }
        if (auto v = req.header("OData-Version"); v && trim(*v) != "4.0") {
            messages::precondition_failed(r);
            return finish(req, r, *allow, false);
        }
        if (!req.query.empty()) {
            for (auto& [k, v] : req.query_params()) {
                if (!k.empty() && k[0] == '$') {
                    messages::query_not_supported(r, k);
                    return finish(req, r, *allow, false);
                }
                if (k == "only" || k == "excerpt") {
                    messages::query_parameter_value_format_error(r, v, k);
                    return finish(req, r, *allow, false);
                }
            }
        }
        refresh_devices();
        Context hctx{
            *this, req, m->params, ojson(), std::move(who.username), std::move(who.role), std::move(who.session_id),
            now};
        if (method == "POST" || method == "PATCH" || method == "PUT") {
            hctx.body = ojson::object();
            auto text = trim(req.body);
            if (!text.empty()) {
                auto body = ojson::parse(text, nullptr, false);
                if (body.is_discarded()) {
                    messages::malformed_json(r);
                    return finish(req, r, *allow, false);
                }
                if (!body.is_object()) {
                    messages::unrecognized_request_body(r);
                    return finish(req, r, *allow, false);
                }
                hctx.body = std::move(body);
            } else if (method != "POST") {
                messages::unrecognized_request_body(r);
                return finish(req, r, *allow, false);
            }
        }
        if ((method == "PATCH" || method == "PUT" || method == "DELETE") && req.header("If-Match")) {
            auto git = m->route->methods.find("GET");
            if (git != m->route->methods.end()) {
                Reply current;
                git->second.handler(hctx, current);
                auto tag = current.rendered ? current.rendered->etag : etag_of(current.body);
                bool matched = false;
                for (auto& t : split(*req.header("If-Match"), ',', true)) {
                    auto tt = std::string(trim(t));
                    matched |= tt == "*" || tt == tag;
                }
                if (!current.ok() || !matched) {
                    if (!current.ok())
                        r = current;
                    else
                        messages::precondition_failed(r);
                    return finish(req, r, *allow, false);
                }
            }
        }
        mit->second.handler(hctx, r);
        return finish(req, r, *allow, is_get);
    } catch (const std::exception& e) {
        static log::RateLimiter limiter(1.0, 5.0);
        log::write_limited(limiter, log::Level::error, "request failed",
                           {{"method", method}, {"path", req.path}, {"error", e.what()}});
        r = Reply{};
        messages::internal_error(r);
        return finish(req, r, *allow, false);
    }
}

http::Response Service::finish(const http::Request& req, Reply& r, const std::string& allow, bool is_get) {
    http::Response res;
    res.status = r.status;
    res.headers.reserve(8 + r.headers.size());
    res.headers.add("OData-Version", "4.0");
    res.headers.add("Cache-Control", "no-cache");
    if (!allow.empty() && (is_get || r.status == 405)) res.headers.add("Allow", allow);
    for (auto& [k, v] : r.headers) res.headers.add(k, v);
    if (r.rendered) {
        res.headers.add("Content-Type", "application/json;charset=utf-8");
        res.body = r.rendered->text;
        if (is_get && r.status == 200) {
            res.headers.add("ETag", r.rendered->etag);
            if (!r.rendered->link.empty()) res.headers.add("Link", r.rendered->link);
        }
        if (req.method == "HEAD") {
            res.content_length = res.body.size();
            res.body.clear();
        }
        return res;
    }
    std::string etag, schema;
    if (!r.body.is_null()) {
        if (!res.headers.has("Content-Type")) {
            res.headers.add("Content-Type", "application/json;charset=utf-8");
            res.body = serialise(r.body);
            if (r.status == 200 && r.body.is_object()) {
                etag = etag_of_text(res.body);
                schema = schema_of(r.body);
            }
        } else if (r.body.is_string()) {
            res.body = r.body.get<std::string>();
        }
    }
    if (is_get && r.status == 200 && !etag.empty()) {
        res.headers.add("ETag", etag);
        // /redfish/v1/JsonSchemas/ComputerSystem
        if (!schema.empty())
            res.headers.add("Link", fmt::format("</redfish/v1/JsonSchemas/{}>; rel=describedby", schema));
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

ojson odata_link(const std::string& uri) {
    return ojson{{"@odata.id", uri}};
}

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

bool edit_device(Backend& backend, const device::Mac& mac, const DeviceEdit& edit) {
    const auto base = backend.base_variables();
    auto state = backend.load_state(mac);
    const auto state_before = state;
    bool ok = false;
    backend.edit_firmware(mac, [&](efi::Variables& fw) {
        const auto before = fw;
        ok = edit(fw, base, state);
        return ok && fw != before;
    });
    if (ok && state != state_before) backend.store_state(mac, state);
    return ok;
}

std::string json_text(const ojson& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace mb::redfish
