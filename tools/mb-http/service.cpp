#include "service.hpp"

#include <curl/curl.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/atomic_file.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "inventory/inventory.hpp"
#include "log/log.hpp"
#include "talos/service.hpp"

namespace mbhttp {

using mb::http::Request;
using mb::http::Responder;
using mb::http::Response;

namespace {

std::string now_rfc3339() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

mb::log::RateLimiter g_inspect_log(2.0, 10.0);

size_t collect(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

// POSTs `body` to `url`; returns {status, body} or {502, error} when the peer cannot be reached.
std::pair<int, std::string> forward(const std::string& url, const std::string& body) {
    CURL* curl = curl_easy_init();
    if (!curl) return {502, "{\"error\":\"curl init failed\"}"};
    std::string reply;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        nlohmann::json j;
        j["error"] = std::string("forwarding to ") + url + " failed: " + curl_easy_strerror(rc);
        return {502, j.dump()};
    }
    return {static_cast<int>(status), reply};
}

}  // namespace

std::string base_url(const mb::config::Snapshot& snap, const std::string& local_address, uint16_t local_port,
                     bool tls) {
    const auto& h = snap.settings.http;
    if (!h.public_url.empty()) {
        std::string u = h.public_url;
        while (!u.empty() && u.back() == '/') u.pop_back();
        return u;
    }
    std::string host = !snap.settings.server.address.empty() ? snap.settings.server.address : local_address;
    if (host.empty()) host = "127.0.0.1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const uint16_t port = local_port ? local_port : h.port;
    return fmt::format("{}://{}:{}", tls ? "https" : "http", host, port);
}

mb::ipxe::ScriptContext script_context(const mb::config::Snapshot& snap, const std::string& base) {
    const auto& h = snap.settings.http;
    mb::ipxe::ScriptContext ctx;
    ctx.base_url = base;
    ctx.callback_url = h.inspection_callback_url;
    ctx.ironic_api_url = h.ironic_api_url;
    ctx.collectors = h.ipa_collectors;
    ctx.attempts = h.boot_attempts;
    ctx.timeout_ms = h.boot_timeout_ms;
    return ctx;
}

mb::ipxe::TemplateLookup template_lookup(const mb::config::Tree& tree) {
    const auto dir = tree.templates_dir() / "ipxe";
    return
        [dir](std::string_view name) { return mb::config::read_file_if_exists(dir / (std::string(name) + ".ipxe")); };
}

InspectionResult store_inspection(const mb::config::Snapshot& snap, const std::string& body, bool continue_inspection,
                                  const std::string& source) {
    mb::inventory::Inspection in;
    try {
        in = mb::inventory::parse_inspection(body);
    } catch (const mb::Error& e) {
        mb::log::write_limited(g_inspect_log, mb::log::Level::warn, "invalid inspection body",
                               {{"source", source}, {"error", e.what()}});
        nlohmann::ordered_json j;
        j["error"] = e.what();
        return {400, j.dump() + "\n", ""};
    }
    const mb::device::Record* rec = nullptr;
    mb::device::Mac mac;
    for (const auto& m : in.candidates)
        if ((rec = snap.find(m))) {
            mac = m;
            break;
        }
    if (!rec) {
        std::vector<std::string> macs;
        for (const auto& m : in.candidates) macs.push_back(m.colon());
        mb::log::write_limited(g_inspect_log, mb::log::Level::warn, "inspection from an unknown device",
                               {{"source", source}, {"macs", mb::join(macs, ",")}});
        nlohmann::ordered_json j;
        j["error"] = "no device matches MAC " + mb::join(macs, ", ");
        return {404, j.dump() + "\n", ""};
    }
    const auto dir = snap.tree.state_dir("http") / "inventory";
    const auto logs = mb::inventory::decoded_logs(in);
    // Logs first, then the inventory that says they exist: a reader never sees has_logs without them.
    if (logs) mb::config::write_file_atomic(dir / (mac.dashed() + ".logs.tar.gz"), *logs, 0640);
    const auto doc = mb::inventory::stored_document(in, mac, rec->id(), now_rfc3339(), source, logs.has_value());
    mb::config::write_file_atomic(dir / (mac.dashed() + ".json"), doc.dump(2) + "\n", 0644);
    mb::log::info("stored inspection of {} ({}) from {}", rec->id(), mac.colon(), source);
    nlohmann::ordered_json j;
    j["uuid"] = rec->id();
    return {continue_inspection ? 202 : 200, j.dump() + "\n", mac.dashed()};
}

std::optional<ScriptCache::Entry> ScriptCache::find(uint64_t gen, const std::string& key) const {
    std::lock_guard lock(mu_);
    if (gen != gen_) return std::nullopt;
    auto it = scripts_.find(key);
    if (it == scripts_.end()) return std::nullopt;
    return it->second;
}

void ScriptCache::store(uint64_t gen, const std::string& key, Entry entry) {
    std::lock_guard lock(mu_);
    if (gen != gen_) return;
    // A bound, in case something requests scripts for a stream of random MACs: start over.
    if (scripts_.size() >= 65536) scripts_.clear();
    scripts_.insert_or_assign(key, std::move(entry));
}

std::optional<std::string> ScriptCache::template_text(
    uint64_t gen, std::string_view name, const std::function<std::optional<std::string>(std::string_view)>& load) {
    {
        std::lock_guard lock(mu_);
        if (gen == gen_)
            if (auto it = templates_.find(std::string(name)); it != templates_.end()) return it->second;
    }
    auto text = load(name);
    std::lock_guard lock(mu_);
    if (gen == gen_) templates_.insert_or_assign(std::string(name), text);
    return text;
}

void ScriptCache::reset(uint64_t gen) {
    std::lock_guard lock(mu_);
    gen_ = gen;
    scripts_.clear();
    templates_.clear();
}

size_t ScriptCache::size() const {
    std::lock_guard lock(mu_);
    return scripts_.size();
}

Service::Service(Snapshot snap) {
    apply(std::move(snap));
    add_routes();
}

void Service::apply(Snapshot snap) {
    std::shared_ptr<mb::http::StaticFiles> files;
    const auto root = snap->tree.resolve(snap->settings.http.root);
    try {
        files = std::make_shared<mb::http::StaticFiles>(root.string());
    } catch (const mb::Error& e) {
        mb::log::warn("static files are off: {}", e.what());
    }
    max_body_->store(static_cast<size_t>(snap->settings.http.max_body_bytes));
    std::lock_guard lock(mu_);
    snap_ = std::move(snap);
    files_ = std::move(files);
    // Under mu_: a request sees either the old snapshot with the old generation or the new pair.
    scripts_.reset(++generation_);
}

Snapshot Service::snapshot() const {
    std::lock_guard lock(mu_);
    return snap_;
}

std::pair<Snapshot, uint64_t> Service::current() const {
    std::lock_guard lock(mu_);
    return {snap_, generation_};
}

mb::ipxe::TemplateLookup Service::cached_templates(const Snapshot& snap, uint64_t gen) {
    return [this, gen, load = template_lookup(snap->tree)](std::string_view name) {
        return scripts_.template_text(gen, name, load);
    };
}

void Service::add_routes() {
    router_.get("/healthz", [](const Request&) { return mb::http::text_response(200, "ok\n"); });
    router_.get("/metrics", [this](const Request&) {
        return mb::http::text_response(200, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
    });
    router_.get("/boot.ipxe", [this](const Request& req) { return generic_script(req); });
    router_.get("/boot/{mac}.ipxe", [this](const Request& req) { return boot_script(req); });
    mb::http::RouteOptions big;
    big.live_max_body = max_body_;
    router_.route_async(
        "POST", "/v1/continue", [this](const Request& req, Responder r) { inspection(req, std::move(r), false); }, big);
    router_.route_async(
        "POST", "/v1/continue_inspection",
        [this](const Request& req, Responder r) { inspection(req, std::move(r), true); }, big);
    const auto snap = snapshot();
    if (snap->settings.talos.enabled) {
        // The Talos image proxy (mb-talos's service) under /images/talos/, beside the static files.
        const auto& t = snap->settings.talos;
        talos_ =
            mb::talos::Service::create(mb::talos::service_options(t, mb::talos::cache_directory(t, snap->tree.root())));
        talos_->open(t.verify_on_start);
        mb::http::RouteOptions talos_route;
        talos_route.name = "talos";
        router_.mount(
            "/images/talos",
            [svc = talos_](const Request& req, Responder respond) { svc->handle_async(req, std::move(respond)); },
            "GET", talos_route);
        mb::log::info("serving Talos images under /images/talos/ from {}", t.base_url);
    }
    mb::http::RouteOptions statics;
    statics.name = "static";
    router_.mount(
        "/", [this](const Request& req, Responder respond) { respond(static_file(req)); }, "GET", statics);
}

namespace {

// Cache key: everything a rendered script depends on besides the config generation.
std::string script_key(std::string_view what, const Request& req) {
    std::string key;
    key.reserve(what.size() + req.local_address.size() + 10);
    key.append(what);
    key.push_back('|');
    key.append(req.local_address);
    key.push_back('|');
    key.append(std::to_string(req.local_port));
    key.push_back(req.tls ? 's' : 'p');
    return key;
}

Response script_response(const std::shared_ptr<const std::string>& text) {
    auto res = mb::http::text_response(200, *text);
    res.headers.set("Cache-Control", "no-store");
    return res;
}

}  // namespace

Response Service::generic_script(const Request& req) {
    const auto [snap, gen] = current();
    const std::string key = script_key("*", req);
    if (auto hit = scripts_.find(gen, key)) return script_response(hit->text);
    const auto ctx = script_context(*snap, base_url(*snap, req.local_address, req.local_port, req.tls));
    auto script = mb::ipxe::render_generic_script(ctx, cached_templates(snap, gen));
    auto text = std::make_shared<const std::string>(std::move(script.text));
    scripts_.store(gen, key, {text, script.kind, ""});
    return script_response(text);
}

Response Service::boot_script(const Request& req) {
    auto mac = mb::device::Mac::parse(req.param("mac"));
    if (!mac) return mb::http::text_response(404, "not a MAC address: " + mb::quoted(req.param("mac")) + "\n");
    const auto [snap, gen] = current();
    const std::string key = script_key(mac->dashed(), req);
    if (auto hit = scripts_.find(gen, key)) {
        static const std::string name = "scripts_rendered_total", help = "iPXE scripts rendered, by kind.";
        metrics_.add(name, help, 1, hit->kind_label);
        return script_response(hit->text);
    }
    const auto ctx = script_context(*snap, base_url(*snap, req.local_address, req.local_port, req.tls));
    const auto record = snap->effective(*mac);
    auto script = mb::ipxe::render_device_script(record, ctx, cached_templates(snap, gen));
    mb::log::debug("script for {}: {} ({})", mac->colon(), script.kind, script.source);
    metrics_.add("scripts_rendered_total", "iPXE scripts rendered, by kind.", 1, "kind=\"" + script.kind + "\"");
    metrics_.add("script_cache_misses_total", "iPXE scripts rendered afresh (not from the per-generation cache).", 1);
    auto text = std::make_shared<const std::string>(std::move(script.text));
    scripts_.store(gen, key, {text, script.kind, "kind=\"" + script.kind + "\""});
    return script_response(text);
}

void Service::inspection(const Request& req, Responder respond, bool continue_inspection) {
    const auto snap = snapshot();
    const std::string source = req.remote_address;
    auto result = store_inspection(*snap, req.body, continue_inspection, source);
    metrics_.add("inspections_total", "Inspection callbacks, by result.", 1,
                 "result=\"" + std::to_string(result.status) + "\"");
    const auto& forward_url = snap->settings.http.inspection_forward_url;
    if (forward_url.empty() || result.status == 400) {
        respond(mb::http::json_response(result.status, result.body));
        return;
    }
    // A real Ironic decides the answer (its node uuid drives IPA's lookup); curl blocks, so it
    // runs beside the io_context.
    std::thread([forward_url, body = req.body, respond = std::move(respond)] {
        auto [status, reply] = forward(forward_url, body);
        respond(mb::http::json_response(status, reply));
    }).detach();
}

Response Service::static_file(const Request& req) {
    std::shared_ptr<mb::http::StaticFiles> files;
    {
        std::lock_guard lock(mu_);
        files = files_;
    }
    if (!files) return mb::http::text_response(404, "Not Found\n");
    return files->serve(req, req.param("path"));
}

}  // namespace mbhttp
