#pragma once
// mb-redfish's resource tree as pure handlers over mb::http::Request → mb::http::Response: one
// shared preamble (authentication, privilege, OData-Version, query options, If-Match, JSON body),
// then the handler of the resource family (service_root, sessions/accounts, systems, bios,
// chassis, managers, update service, tasks), then the common response headers and ETag.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/message.hpp"
#include "redfish/backend.hpp"
#include "redfish/messages.hpp"

namespace mb::redfish {

enum class Privilege { none, login, configure_components, configure_manager, configure_users, configure_self };
const char* privilege_name(Privilege p);

struct Account {
    std::string username;
    std::string password;  // plain text, or a crypt(3) hash ("$6$salt$...")
    std::string role;      // Administrator | Operator | ReadOnly
};

struct ServiceConfig {
    std::vector<Account> accounts;
    int session_timeout_s = 1800;
    size_t max_sessions = 64;
    size_t max_body = 65536;
    std::string service_uuid;  // ServiceRoot.UUID
    std::string manager_id = "mb-redfish";
    bool allow_credentials_over_http = false;  // accept Basic/session creation on plain HTTP
    // TlsCaCertificate data (efi/tls_ca.hpp) for https:// virtual media; empty: only http://.
    std::vector<uint8_t> virtual_media_ca;
};

// Constant-time check of a password against a stored plain text or crypt(3) hash.
bool password_matches(const std::string& stored, std::string_view password);

// Role → privileges; empty for an unknown role.
std::vector<Privilege> role_privileges(std::string_view role);
// Whether `role` grants `p` (no allocation; Privilege::none always).
bool role_has(std::string_view role, Privilege p);

struct Session {
    std::string id;
    std::string token;       // only right after creation (never stored)
    std::string token_hash;  // SHA-256 hex of the token: what is compared and persisted
    std::string username;
    std::string role;
    std::chrono::steady_clock::time_point last_used;
    std::chrono::system_clock::time_point last_used_wall;  // for state/redfish/service.json
    std::chrono::steady_clock::time_point persisted_use;   // last_used as last written
    std::string client;
};

struct Task {
    std::string id;
    std::string name;
    std::string state = "Running";  // New, Running, Completed, Exception
    std::string status = "OK";      // OK, Warning, Critical
    int percent = 0;
    std::string message;
    std::string start_time;
    std::string end_time;
};

class Service;

// Everything a handler sees.
struct Context {
    Service& service;
    const http::Request& request;
    const std::vector<std::string>& params;  // URL template captures in order
    nlohmann::ordered_json body;             // parsed request body (object) for POST/PATCH
    std::string username;
    std::string role;
    std::string session_id;  // when authenticated by a session
    std::chrono::system_clock::time_point now;
    bool has(Privilege p) const;
};

using Handler = std::function<void(Context&, Reply&)>;

class Service {
public:
    Service(ServiceConfig config, Backend& backend);
    ~Service();

    http::Response handle(const http::Request& request);
    http::Response handle_at(const http::Request& request, std::chrono::system_clock::time_point now,
                             std::chrono::steady_clock::time_point mono);

    // Route table (used by the resource files).
    void route(std::string pattern, std::string method, Privilege privilege, Handler handler);

    Backend& backend() { return backend_; }
    const ServiceConfig& config() const { return config_; }
    // A reload's new redfish.virtual_media_ca (the I/O thread only).
    void set_virtual_media_ca(std::vector<uint8_t> data) { config_.virtual_media_ca = std::move(data); }

    // Devices by System Id (refreshed on each request when the backend's list changed).
    const DeviceInfo* find_device(std::string_view id) const;
    const std::vector<DeviceInfo>& devices() const { return devices_; }

    // Sessions.
    Session* create_session(const std::string& user, const std::string& role, const std::string& client,
                            std::chrono::steady_clock::time_point now);
    bool delete_session(const std::string& id);
    std::vector<Session> sessions() const;
    const Session* find_session(const std::string& id) const;
    int session_timeout() const { return session_timeout_s_; }
    void set_session_timeout(int s);

    // Tasks, updated from worker threads.
    std::string create_task(const std::string& name, std::chrono::system_clock::time_point now);
    void update_task(const std::string& id, int percent, bool finished, bool ok, const std::string& message);
    void drop_task(const std::string& id);  // a task whose operation was refused after all
    std::optional<Task> task(const std::string& id) const;
    std::vector<Task> tasks() const;
    Progress task_progress(const std::string& id);

    // A stable, strong ETag of a JSON body (of its compact serialisation).
    static std::string etag_of(const nlohmann::ordered_json& body);
    static std::string etag_of_text(std::string_view text);

    // GET of a resource whose body depends only on the backend's `stamp` of its device plus
    // `variant` (e.g. the power state): answers from the rendering (body text, ETag, Link) cached
    // for the request path while both are unchanged (stamp 0 disables caching), else builds it
    // with `build(Reply&)` and caches it when it is a plain 200.
    template <class Build>
    void cached_get(Context& c, Reply& r, uint64_t stamp, std::string_view variant, Build&& build) {
        if (serve_cached(c, r, stamp, variant)) return;
        build(r);
        remember_rendering(c, r, stamp, variant);
    }
    size_t render_cache_hits() const { return render_hits_; }

    const Account* check_password(std::string_view user, std::string_view password) const;

    // Waits until sessions/tasks queued for state/redfish/service.json are written.
    void flush_state();

private:
    struct Route;
    struct Match;
    struct Identity {
        std::string username;
        std::string role;
        std::string session_id;
    };
    std::optional<Match> match(std::string_view path);
    bool authenticate(const http::Request& req, Identity& who, Reply& r, std::chrono::steady_clock::time_point mono);
    http::Response finish(const http::Request& req, Reply& r, const std::string& allow, bool is_get);
    bool serve_cached(Context& c, Reply& r, uint64_t stamp, std::string_view variant);
    void remember_rendering(Context& c, Reply& r, uint64_t stamp, std::string_view variant);
    void refresh_devices();

    ServiceConfig config_;
    Backend& backend_;
    std::vector<std::unique_ptr<Route>> routes_;
    std::vector<DeviceInfo> devices_;
    std::map<std::string, size_t, std::less<>> device_index_;  // System Id → devices_ index
    uint64_t devices_generation_ = 0;                          // of devices_; 0 = refetch every request
    std::vector<Session> sessions_;
    int session_timeout_s_;
    // Sessions and tasks live in state/redfish/service.json (Sessions, Tasks) so a restart keeps
    // them; a task that was running when the service stopped reads back as interrupted.
    void load_persistent(std::chrono::steady_clock::time_point mono);
    void save_sessions();
    void save_tasks();
    nlohmann::json tasks_json() const;
    // Writes go through one writer thread that coalesces them: requests never wait for the disk.
    void save_state_key(const char* key, nlohmann::json value);
    void writer_loop();
    mutable std::mutex verified_mutex_;
    mutable std::map<std::string, std::chrono::steady_clock::time_point> verified_;  // crypt(3) successes
    // Basic credentials already checked, by the exact Authorization value (I/O thread only): a
    // client repeating them skips base64 and the password check for kBasicReuse.
    struct BasicSeen {
        std::string username;
        std::string role;
        std::chrono::steady_clock::time_point at;
    };
    std::map<std::string, BasicSeen, std::less<>> basic_seen_;
    static constexpr auto kBasicReuse = std::chrono::minutes(5);
    std::mutex state_mutex_;
    std::condition_variable state_cv_;
    std::map<std::string, nlohmann::json> pending_state_;  // key → value still to write
    bool writing_ = false;
    bool stopping_ = false;
    std::thread writer_;
    mutable std::mutex task_mutex_;
    std::map<int, Task> tasks_;
    int next_task_ = 1;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    struct CachedRendering {
        uint64_t stamp = 0;
        std::string variant;
        std::shared_ptr<const RenderedBody> body;
    };
    std::map<std::string, CachedRendering, std::less<>> render_cache_;  // by request path
    size_t render_hits_ = 0;
};

// Resource families register their routes.
void register_service_root(Service& s);
void register_sessions(Service& s);
void register_accounts(Service& s);
void register_systems(Service& s);
void register_bios(Service& s);
void register_chassis(Service& s);
void register_managers(Service& s);
void register_virtual_media(Service& s);
void register_update_service(Service& s);
void register_tasks(Service& s);

// Helpers shared by the resource files.
std::string iso_time(std::chrono::system_clock::time_point t);
nlohmann::ordered_json odata_link(const std::string& uri);
// The device's own Manager (its "BMC"): /redfish/v1/Managers/<System Id>.
std::string manager_uri(const DeviceInfo& d);
// Checks that `body` has only `allowed` keys; reports the first unknown one (PropertyUnknown).
bool only_known(Reply& r, const nlohmann::ordered_json& body, std::initializer_list<const char*> allowed,
                const std::string& prefix = "");
std::string json_text(const nlohmann::ordered_json& v);  // value for a message argument
// A change to a device's variables and Redfish state together: `edit(device vars, base vars,
// state)` runs under the variables' lock; the variables are stored when it returns true and changed
// them, the state when it returns true and changed it. Returns what `edit` returned.
using DeviceEdit = std::function<bool(efi::Variables& device, const efi::Variables& base, nlohmann::json& state)>;
bool edit_device(Backend& backend, const device::Mac& mac, const DeviceEdit& edit);

}  // namespace mb::redfish
