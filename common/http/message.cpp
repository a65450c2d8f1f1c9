#include "http/message.hpp"

#include <unistd.h>

#include <algorithm>

#include "core/strings.hpp"

namespace mb::http {

void Headers::set(std::string name, std::string value) {
    remove(name);
    add(std::move(name), std::move(value));
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
    for (const auto& [k, v] : fields_)
        if (iequals(k, name)) return std::string_view(v);
    return std::nullopt;
}

void Headers::remove(std::string_view name) {
    fields_.erase(std::remove_if(fields_.begin(), fields_.end(), [&](const auto& f) { return iequals(f.first, name); }),
                  fields_.end());
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            auto byte = parse_hex(text.substr(i + 1, 2));
            if (!byte || byte->size() != 1) return std::nullopt;
            if ((*byte)[0] == 0) return std::nullopt;
            out += static_cast<char>((*byte)[0]);
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

OpenFile::~OpenFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::string Request::param(std::string_view name) const {
    auto it = params.find(std::string(name));
    return it == params.end() ? std::string() : it->second;
}

std::map<std::string, std::string> Request::query_params() const {
    std::map<std::string, std::string> out;
    for (const auto& part : split(query, '&', true)) {
        const auto eq = part.find('=');
        auto key = percent_decode(part.substr(0, eq), true);
        auto value = eq == std::string::npos ? std::optional<std::string>("") : percent_decode(part.substr(eq + 1), true);
        if (key && value) out[*key] = *value;
    }
    return out;
}

Response text_response(int status, std::string body, std::string content_type) {
    Response r;
    r.status = status;
    r.headers.set("Content-Type", std::move(content_type));
    r.body = std::move(body);
    return r;
}

Response json_response(int status, std::string body) {
    return text_response(status, std::move(body), "application/json");
}

}  // namespace mb::http
