#include "config/remote_backend.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "config/yaml_io.hpp"
#include "core/error.hpp"

namespace mb::config {

std::string base64_encode(const std::string& data) {
    std::string out(4 * ((data.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string base64_decode(const std::string& text) {
    if (text.empty()) return {};
    if (text.size() % 4 != 0) throw data_error("invalid base64 (length " + std::to_string(text.size()) + ")");
    std::string out(text.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) throw data_error("invalid base64");
    size_t len = static_cast<size_t>(n);
    if (text.size() >= 1 && text[text.size() - 1] == '=') --len;
    if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
    out.resize(len);
    return out;
}

std::string prefix_range_end(std::string prefix) {
    while (!prefix.empty()) {
        auto& last = prefix.back();
        if (static_cast<unsigned char>(last) < 0xff) {
            last = static_cast<char>(static_cast<unsigned char>(last) + 1);
            return prefix;
        }
        prefix.pop_back();
    }
    return std::string(1, '\0');
}

namespace {

size_t collect(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

std::string post_json(const std::string& url, const std::string& body, long timeout_ms, std::string& error) {
    CURL* curl = curl_easy_init();
    if (!curl) {
        error = "curl_easy_init failed";
        return {};
    }
    std::string response;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        error = curl_easy_strerror(rc);
        return {};
    }
    if (status != 200) {
        error = "HTTP " + std::to_string(status);
        return {};
    }
    return response;
}

}  // namespace

std::map<device::Mac, RemoteRecord> fetch_remote_records(const BackendSettings& backend) {
    std::map<device::Mac, RemoteRecord> out;
    if (backend.type != "etcd") return out;
    const std::string key_prefix = backend.prefix + "hw/";
    nlohmann::json request = {{"key", base64_encode(key_prefix)}, {"range_end", base64_encode(prefix_range_end(key_prefix))}};
    std::string errors;
    for (const auto& endpoint : backend.endpoints) {
        std::string error;
        const std::string body = post_json(endpoint + "/v3/kv/range", request.dump(), backend.timeout_ms, error);
        if (!error.empty()) {
            errors += (errors.empty() ? "" : "; ") + endpoint + ": " + error;
            continue;
        }
        nlohmann::json reply;
        try {
            reply = nlohmann::json::parse(body);
        } catch (const nlohmann::json::exception&) {
            errors += (errors.empty() ? "" : "; ") + endpoint + ": invalid JSON reply";
            continue;
        }
        for (const auto& kv : reply.value("kvs", nlohmann::json::array())) {
            const std::string key = base64_decode(kv.value("key", ""));
            const std::string value = base64_decode(kv.value("value", ""));
            const std::string source = "etcd:" + endpoint + "/" + key;
            auto mac = device::Mac::parse(key.substr(key_prefix.size()));
            if (!mac) throw config_error(source + ": key does not end in a MAC address");
            out[*mac] = RemoteRecord{parse_yaml(value, source), source};
        }
        return out;
    }
    throw Error(kExitUnavailable, "no etcd endpoint answered: " + (errors.empty() ? "none configured" : errors));
}

}  // namespace mb::config
