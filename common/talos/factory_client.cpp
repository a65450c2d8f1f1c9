#include "talos/factory_client.hpp"

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "talos/schematic.hpp"

namespace mb::talos {

namespace {

using Clock = std::chrono::steady_clock;

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
    const FactoryClient::Handlers* handlers = nullptr;
    const FactoryOptions* options = nullptr;
    CURL* curl = nullptr;
    bool head_done = false;
    ResponseHead head;
    uint64_t received = 0;
    std::string error_body;  // first bytes of a non-2xx body, for the message
    std::string abort_reason;
    Clock::time_point start = Clock::now();
    Clock::time_point window_start = start;
    uint64_t window_bytes = 0;
    Clock::time_point last_progress{};
};

void announce_head(Transfer& t) {
    if (t.head_done) return;
    t.head_done = true;
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.head.status);
    curl_off_t length = -1;
    if (curl_easy_getinfo(t.curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length >= 0)
        t.head.content_length = static_cast<uint64_t>(length);
    char* url = nullptr;
    if (curl_easy_getinfo(t.curl, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url) t.head.effective_url = url;
    if (t.head.status / 100 == 2 && t.handlers && t.handlers->on_head) t.handlers->on_head(t.head);
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const size_t n = size * count;
    try {
        announce_head(t);
        if (t.head.status / 100 != 2) {
            if (t.error_body.size() < 512) t.error_body.append(data, std::min<size_t>(n, 512 - t.error_body.size()));
            return n;
        }
        t.received += n;
        if (t.handlers && t.handlers->on_data) t.handlers->on_data(std::string_view(data, n));
    } catch (const std::exception& e) {
        t.abort_reason = e.what();
        return CURL_WRITEFUNC_ERROR;
    }
    return n;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
    auto& t = *static_cast<Transfer*>(user);
    const auto now = Clock::now();
    if (t.handlers && t.handlers->cancelled && t.handlers->cancelled()) {
        t.abort_reason = "cancelled";
        return 1;
    }
    if (t.handlers && t.handlers->on_tick && t.head_done && t.head.status / 100 == 2) {
        try {
            t.handlers->on_tick();
        } catch (const std::exception& e) {
            t.abort_reason = e.what();
            return 1;
        }
    }
    const auto& o = *t.options;
    if (dlnow == 0) {
        if (now - t.start > std::chrono::seconds(o.first_byte_timeout_s)) {
            t.abort_reason = "no data within " + std::to_string(o.first_byte_timeout_s) + " s (first-byte timeout)";
            return 1;
        }
        t.window_start = now;
    } else if (now - t.window_start >= std::chrono::seconds(o.low_speed_time_s)) {
        const auto bytes = static_cast<uint64_t>(dlnow) - t.window_bytes;
        if (bytes < static_cast<uint64_t>(o.low_speed_limit) * static_cast<uint64_t>(o.low_speed_time_s)) {
            t.abort_reason = "transfer slower than " + std::to_string(o.low_speed_limit) + " B/s for " +
                             std::to_string(o.low_speed_time_s) + " s";
            return 1;
        }
        t.window_start = now;
        t.window_bytes = static_cast<uint64_t>(dlnow);
    }
    if (t.handlers && t.handlers->on_progress && now - t.last_progress >= std::chrono::milliseconds(200)) {
        t.last_progress = now;
        std::optional<uint64_t> total;
        if (dltotal > 0) total = static_cast<uint64_t>(dltotal);
        t.handlers->on_progress(static_cast<uint64_t>(dlnow), total);
    }
    return 0;
}

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

CurlPtr make_handle(const FactoryOptions& o, const std::string& url) {
    global_init();
    CurlPtr curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw Error(kExitSoftware, "libcurl: cannot create a handle");
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!o.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "metal-boot-mb-talos/" MB_VERSION);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, nullptr);
    return curl;
}

std::string describe_status(const std::string& url, const Transfer& t) {
    std::string msg = "factory " + url + " answered HTTP " + std::to_string(t.head.status);
    const auto body = trim(t.error_body);
    if (!body.empty()) msg += ": " + mb::quoted(body, 200);
    return msg;
}

ResponseHead perform(const FactoryOptions& o, const std::string& url, const FactoryClient::Handlers* handlers,
                     bool head_only, const std::string* post_body, std::string* collect) {
    auto curl = make_handle(o, url);
    Transfer t;
    t.handlers = handlers;
    t.options = &o;
    t.curl = curl.get();
    FactoryClient::Handlers local;
    if (collect) {
        local.on_data = [collect](std::string_view d) { collect->append(d); };
        t.handlers = &local;
    }
    CURL* c = curl.get();
    SlistPtr headers(nullptr, curl_slist_free_all);
    if (post_body) {
        headers.reset(curl_slist_append(nullptr, "Content-Type: application/yaml"));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
    }
    if (head_only) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        if (rc == CURLE_HTTP_RETURNED_ERROR || (t.head_done && t.head.status / 100 != 2))
            throw FactoryStatusError(t.head.status, describe_status(url, t));
        std::string why = !t.abort_reason.empty() ? t.abort_reason : (errbuf[0] ? errbuf : curl_easy_strerror(rc));
        throw Error(kExitUnavailable,
                    "factory " + url + ": " + why + " after " + std::to_string(t.received) + " bytes");
    }
    announce_head(t);
    if (t.head.status / 100 != 2) throw FactoryStatusError(t.head.status, describe_status(url, t));
    if (!head_only && t.head.content_length && *t.head.content_length != t.received)
        throw Error(kExitUnavailable, "factory " + url + ": body has " + std::to_string(t.received) +
                                          " bytes but Content-Length said " + std::to_string(*t.head.content_length));
    if (handlers && handlers->on_progress) handlers->on_progress(t.received, t.head.content_length);
    return t.head;
}

}  // namespace

FactoryClient::FactoryClient(FactoryOptions options) : options_(std::move(options)) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
    if (options_.base_url.rfind("http://", 0) != 0 && options_.base_url.rfind("https://", 0) != 0)
        throw config_error("talos.base_url " + mb::quoted(options_.base_url) + " is not an http:// or https:// URL");
}

std::string FactoryClient::url(std::string_view path) const {
    std::string out = options_.base_url;
    if (path.empty() || path.front() != '/') out += '/';
    out += path;
    return out;
}

std::string FactoryClient::get(std::string_view path) const {
    std::string body;
    perform(options_, url(path), nullptr, false, nullptr, &body);
    return body;
}

std::string FactoryClient::post_schematic(std::string_view yaml) const {
    std::string body;
    const std::string payload(yaml);
    const auto u = url("/schematics");
    perform(options_, u, nullptr, false, &payload, &body);
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
        throw Error(kExitUnavailable, "factory " + u + ": answer is not JSON: " + e.what());
    }
    if (!doc.is_object() || !doc.contains("id") || !doc["id"].is_string() ||
        !is_schematic_id(doc["id"].get<std::string>()))
        throw Error(kExitUnavailable, "factory " + u + ": answer has no 64-hex \"id\": " + mb::quoted(body, 200));
    return doc["id"].get<std::string>();
}

ResponseHead FactoryClient::download(std::string_view path, const Handlers& handlers, bool head_only) const {
    return perform(options_, url(path), &handlers, head_only, nullptr, nullptr);
}

}  // namespace mb::talos
