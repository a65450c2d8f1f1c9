#include "poe/unifi_driver.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "device/mac.hpp"
#include "log/log.hpp"

namespace mb::poe {

using nlohmann::json;

namespace {

int parse_port_idx(const std::string& text) {
    auto v = parse_uint(trim(text), 1024);
    if (!v || *v == 0) throw data_error(fmt::format("UniFi port {} is not a port_idx (1..1024)", mb::quoted(text)));
    return static_cast<int>(*v);
}

std::string norm_mac(const std::string& text) {
    auto m = device::Mac::parse(text);
    return m ? m->colon() : to_lower(text);
}

}  // namespace

json merged_port_overrides(const json& device, int port_idx, const std::string& poe_mode) {
    json out = json::array();
    bool found = false;
    if (auto it = device.find("port_overrides"); it != device.end() && it->is_array()) {
        for (const auto& o : *it) {
            json copy = o;
            if (o.is_object() && o.value("port_idx", -1) == port_idx) {
                copy["poe_mode"] = poe_mode;
                found = true;
            }
            out.push_back(std::move(copy));
        }
    }
    if (!found) out.push_back(json{{"port_idx", port_idx}, {"poe_mode", poe_mode}});
    return out;
}

PortStatus unifi_port_status(const json& device, int port_idx) {
    PortStatus st;
    const json* port = nullptr;
    if (auto it = device.find("port_table"); it != device.end() && it->is_array())
        for (const auto& p : *it)
            if (p.is_object() && p.value("port_idx", -1) == port_idx) port = &p;
    if (!port) throw data_error(fmt::format("the switch has no port_idx {} in its port_table", port_idx));
    std::string mode = port->value("poe_mode", "");
    // A pending override (written, not yet applied) wins over the port table's mode.
    if (auto it = device.find("port_overrides"); it != device.end() && it->is_array())
        for (const auto& o : *it)
            if (o.is_object() && o.value("port_idx", -1) == port_idx && o.contains("poe_mode"))
                mode = o.value("poe_mode", mode);
    bool enabled = port->value("poe_enable", false);
    bool good = port->value("poe_good", enabled);
    st.admin_enabled = mode != "off";
    st.detail = fmt::format("poe_mode={} poe_enable={} poe_good={}", mode.empty() ? "?" : mode, enabled, good);
    if (auto w = port->find("poe_power"); w != port->end()) {
        if (w->is_number())
            st.watts = w->get<double>();
        else if (w->is_string())
            try {
                st.watts = std::stod(w->get<std::string>());
            } catch (const std::exception&) {
            }
    }
    if (mode == "off")
        st.power = enabled ? Power::powering_off : Power::off;
    else if (mode.empty())
        st.power = Power::unknown;
    else
        st.power = enabled && good ? Power::on : Power::powering_on;
    return st;
}

std::vector<Learned> unifi_learned(const std::string& switch_name, const std::string& switch_mac, const json& clients,
                                   const json& device) {
    std::vector<Learned> out;
    auto want = norm_mac(switch_mac);
    if (clients.is_array())
        for (const auto& c : clients) {
            if (!c.is_object() || !c.contains("mac")) continue;
            std::string sw = c.value("sw_mac", "");
            if (sw.empty()) sw = c.value("uplink_mac", c.value("last_uplink_mac", ""));
            if (norm_mac(sw) != want) continue;
            int port = c.value("sw_port", -1);
            if (port <= 0) continue;
            out.push_back({norm_mac(c.value("mac", "")), switch_name, std::to_string(port), "unifi:stat/sta"});
        }
    if (auto it = device.find("port_table"); it != device.end() && it->is_array())
        for (const auto& p : *it) {
            if (!p.is_object()) continue;
            auto lc = p.find("last_connection");
            if (lc == p.end() || !lc->is_object() || !lc->contains("mac")) continue;
            auto mac = norm_mac(lc->value("mac", ""));
            bool dup = false;
            for (auto& l : out) dup |= l.mac == mac;
            if (!dup) out.push_back({mac, switch_name, std::to_string(p.value("port_idx", 0)), "unifi:port_table"});
        }
    return out;
}

struct UnifiDriver::Client {
    const SwitchSettings& s;
    CURL* curl = nullptr;
    std::string api;   // "/proxy/network" or ""
    std::string login_path;
    bool logged_in = false;
    bool styled = false;
    std::string csrf;

    explicit Client(const SwitchSettings& settings) : s(settings) {
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
        curl = curl_easy_init();
        if (!curl) throw Error(kExitSoftware, "curl_easy_init failed");
        curl_easy_setopt(curl, CURLOPT_COOKIEFILE, "");  // in-memory cookie jar
    }
    ~Client() { curl_easy_cleanup(curl); }

    struct Reply {
        long status = 0;
        std::string body;
        std::string csrf;
        long retry_after = -1;
    };

    static size_t on_body(char* p, size_t n, size_t m, void* ud) {
        static_cast<std::string*>(ud)->append(p, n * m);
        return n * m;
    }
    static size_t on_header(char* p, size_t n, size_t m, void* ud) {
        auto* r = static_cast<Reply*>(ud);
        std::string_view line(p, n * m);
        auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            auto name = to_lower(trim(line.substr(0, colon)));
            auto value = std::string(trim(line.substr(colon + 1)));
            if (name == "x-updated-csrf-token" || (name == "x-csrf-token" && r->csrf.empty())) r->csrf = value;
            if (name == "x-updated-csrf-token") r->csrf = value;
            if (name == "retry-after") r->retry_after = static_cast<long>(parse_uint(value, 3600).value_or(1));
        }
        return n * m;
    }

    Reply raw(const std::string& method, const std::string& path, const std::string* body, bool follow = false) {
        Reply r;
        std::string url = s.unifi.url;
        while (!url.empty() && url.back() == '/') url.pop_back();
        url += path;
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(s.unifi.timeout_ms));
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, s.unifi.insecure ? 0L : 1L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, s.unifi.insecure ? 0L : 2L);
        if (!s.unifi.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, s.unifi.ca_file.c_str());
        curl_slist* hdrs = nullptr;
        hdrs = curl_slist_append(hdrs, "Accept: application/json");
        if (body) {
            hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->c_str());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
        } else {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
            curl_easy_setopt(curl, CURLOPT_HTTPGET, method == "GET" ? 1L : 0L);
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
        }
        std::string key_hdr, csrf_hdr;
        if (!s.unifi.api_key.empty()) {
            key_hdr = "X-API-Key: " + s.unifi.api_key;
            hdrs = curl_slist_append(hdrs, key_hdr.c_str());
        }
        if (!csrf.empty()) {
            csrf_hdr = "X-Csrf-Token: " + csrf;
            hdrs = curl_slist_append(hdrs, csrf_hdr.c_str());
        }
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
        CURLcode rc = curl_easy_perform(curl);
        curl_slist_free_all(hdrs);
        if (rc != CURLE_OK)
            throw Error(kExitUnavailable, fmt::format("switch {}: UniFi controller {}: {}", s.name, s.unifi.url,
                                                      curl_easy_strerror(rc)));
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
        if (!r.csrf.empty()) csrf = r.csrf;
        return r;
    }

    // Sends with 429 back-off (Retry-After honoured, else 1 s, 2 s, 4 s...).
    Reply send(const std::string& method, const std::string& path, const std::string* body, bool follow = false) {
        for (int attempt = 0;; ++attempt) {
            auto r = raw(method, path, body, follow);
            if (r.status != 429 || attempt >= s.unifi.max_retries) return r;
            long wait = r.retry_after >= 0 ? r.retry_after : (1L << attempt);
            log::warn("switch {}: UniFi controller rate-limited {} {}; retrying in {} s", s.name, method, path, wait);
            std::this_thread::sleep_for(std::chrono::seconds(std::min(wait, 30L)));
        }
    }

    void detect_style() {
        if (styled) return;
        std::string style = s.unifi.style;
        if (style == "auto") {
            if (!s.unifi.api_key.empty())
                style = "unifi-os";
            else
                style = send("GET", "/", nullptr).status == 200 ? "unifi-os" : "legacy";
        }
        api = style == "unifi-os" ? "/proxy/network" : "";
        login_path = style == "unifi-os" ? "/api/auth/login" : "/api/login";
        styled = true;
    }

    void login() {
        detect_style();
        if (!s.unifi.api_key.empty() || logged_in) return;
        std::string body = json{{"username", s.unifi.username}, {"password", s.unifi.password}}.dump();
        csrf.clear();
        auto r = send("POST", login_path, &body);
        if (r.status == 401 || r.status == 403)
            throw Error(kExitUnavailable, fmt::format("switch {}: UniFi login as {} refused (HTTP {})", s.name,
                                                      mb::quoted(s.unifi.username), r.status));
        if (r.status / 100 != 2)
            throw Error(kExitUnavailable, fmt::format("switch {}: UniFi login failed (HTTP {})", s.name, r.status));
        logged_in = true;
    }

    // A controller API call returning `data`; logs in again once on 401.
    json call(const std::string& method, const std::string& rel, const json* body = nullptr) {
        login();
        std::string text = body ? body->dump() : "";
        for (int attempt = 0;; ++attempt) {
            auto r = send(method, api + rel, body ? &text : nullptr);
            if (r.status == 401 && s.unifi.api_key.empty() && attempt == 0) {
                logged_in = false;
                login();
                continue;
            }
            auto j = json::parse(r.body, nullptr, false);
            std::string msg;
            if (!j.is_discarded() && j.is_object() && j.contains("meta") && j["meta"].is_object())
                msg = j["meta"].value("msg", "");
            if (r.status / 100 != 2)
                throw Error(kExitUnavailable, fmt::format("switch {}: UniFi {} {} answered HTTP {}{}{}", s.name, method,
                                                          rel, r.status, msg.empty() ? "" : ": ", msg));
            if (j.is_discarded() || !j.is_object())
                throw data_error(fmt::format("switch {}: UniFi {} {} answered non-JSON", s.name, method, rel));
            if (j.contains("meta") && j["meta"].is_object() && j["meta"].value("rc", "ok") != "ok")
                throw Error(kExitUnavailable, fmt::format("switch {}: UniFi {} {} failed: {}", s.name, method, rel, msg));
            auto d = j.find("data");
            return d != j.end() && d->is_array() ? *d : json::array();
        }
    }
};

UnifiDriver::UnifiDriver(SwitchSettings s) : s_(std::move(s)), client_(std::make_unique<Client>(s_)) {}
UnifiDriver::~UnifiDriver() = default;

json UnifiDriver::device() {
    std::lock_guard lock(mutex_);
    auto mac = norm_mac(s_.unifi.device);
    auto data = client_->call("GET", fmt::format("/api/s/{}/stat/device/{}", s_.unifi.site, mac));
    for (auto& d : data)
        if (d.is_object() && norm_mac(d.value("mac", "")) == mac) return d;
    throw Error(kExitUnavailable, fmt::format("switch {}: the UniFi controller does not know device {}", s_.name, mac));
}

void UnifiDriver::set_mode(const PortRef& port, const std::string& mode) {
    int idx = parse_port_idx(port.port);
    std::lock_guard lock(mutex_);
    auto dev = device();
    auto id = dev.value("_id", "");
    if (id.empty()) throw data_error(fmt::format("switch {}: the controller's device entry has no _id", s_.name));
    json body{{"port_overrides", merged_port_overrides(dev, idx, mode)}};
    client_->call("PUT", fmt::format("/api/s/{}/rest/device/{}", s_.unifi.site, id), &body);
    // The PUT reply may carry no device (UDM SE, cloud connector): confirm by re-reading.
    auto after = device();
    bool applied = false;
    if (auto it = after.find("port_overrides"); it != after.end() && it->is_array())
        for (auto& o : *it) applied |= o.is_object() && o.value("port_idx", -1) == idx && o.value("poe_mode", "") == mode;
    if (!applied)
        throw Error(kExitUnavailable, fmt::format("switch {}: port {} poe_mode={} was not applied by the controller",
                                                  s_.name, idx, mode));
}

void UnifiDriver::on(const PortRef& port) { set_mode(port, "auto"); }
void UnifiDriver::off(const PortRef& port) { set_mode(port, "off"); }

PortStatus UnifiDriver::status(const PortRef& port) {
    int idx = parse_port_idx(port.port);
    try {
        return unifi_port_status(device(), idx);
    } catch (const Error& e) {
        if (e.code() == kExitDataErr) throw Error(kExitDataErr, fmt::format("switch {}: {}", s_.name, e.what()));
        throw;
    }
}

void UnifiDriver::cycle(const PortRef& port, const CycleOptions& options) {
    std::lock_guard lock(mutex_);
    int idx = parse_port_idx(port.port);
    auto st = status(port);
    if (st.power != Power::on) {
        // devmgr power-cycle only works on a port that delivers power.
        Driver::cycle(port, options);
        return;
    }
    json body{{"cmd", "power-cycle"}, {"mac", norm_mac(s_.unifi.device)}, {"port_idx", idx}};
    client_->call("POST", fmt::format("/api/s/{}/cmd/devmgr", s_.unifi.site), &body);
}

std::vector<Learned> UnifiDriver::discover() {
    std::lock_guard lock(mutex_);
    auto clients = client_->call("GET", fmt::format("/api/s/{}/stat/sta", s_.unifi.site));
    return unifi_learned(s_.name, s_.unifi.device, clients, device());
}

}  // namespace mb::poe
