#include "talos/version.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::talos {

namespace {

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::optional<uint64_t> numeric(std::string_view s) {
    if (!all_digits(s) || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    return parse_uint(s);
}

bool valid_identifiers(std::string_view s, bool check_leading_zero) {
    for (const auto& id : split(s, '.')) {
        if (id.empty()) return false;
        for (const char c : id)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        if (check_leading_zero && all_digits(id) && id.size() > 1 && id[0] == '0') return false;
    }
    return true;
}

}  // namespace

std::string SemVer::text() const {
    std::string out = "v" + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    if (!prerelease.empty()) out += "-" + prerelease;
    if (!build.empty()) out += "+" + build;
    return out;
}

std::optional<SemVer> parse_semver(std::string_view text) {
    if (!text.empty() && text.front() == 'v') text.remove_prefix(1);
    SemVer v;
    if (const auto plus = text.find('+'); plus != std::string_view::npos) {
        v.build = std::string(text.substr(plus + 1));
        if (!valid_identifiers(v.build, false)) return std::nullopt;
        text = text.substr(0, plus);
    }
    if (const auto dash = text.find('-'); dash != std::string_view::npos) {
        v.prerelease = std::string(text.substr(dash + 1));
        if (!valid_identifiers(v.prerelease, true)) return std::nullopt;
        text = text.substr(0, dash);
    }
    const auto parts = split(text, '.');
    if (parts.size() != 3) return std::nullopt;
    const auto a = numeric(parts[0]), b = numeric(parts[1]), c = numeric(parts[2]);
    if (!a || !b || !c) return std::nullopt;
    v.major = *a;
    v.minor = *b;
    v.patch = *c;
    return v;
}

std::strong_ordering compare(const SemVer& a, const SemVer& b) {
    if (auto c = a.major <=> b.major; c != 0) return c;
    if (auto c = a.minor <=> b.minor; c != 0) return c;
    if (auto c = a.patch <=> b.patch; c != 0) return c;
    if (a.prerelease.empty() || b.prerelease.empty()) {
        if (a.prerelease.empty() && b.prerelease.empty()) return std::strong_ordering::equal;
        return a.prerelease.empty() ? std::strong_ordering::greater : std::strong_ordering::less;
    }
    const auto pa = split(a.prerelease, '.'), pb = split(b.prerelease, '.');
    for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
        const bool na = all_digits(pa[i]), nb = all_digits(pb[i]);
        if (na && nb) {
            const auto x = parse_uint(pa[i]).value_or(UINT64_MAX), y = parse_uint(pb[i]).value_or(UINT64_MAX);
            if (auto c = x <=> y; c != 0) return c;
        } else if (na != nb) {
            return na ? std::strong_ordering::less : std::strong_ordering::greater;
        } else if (auto c = pa[i].compare(pb[i]); c != 0) {
            return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
        }
    }
    return pa.size() <=> pb.size();
}

std::vector<std::string> parse_versions_json(std::string_view body) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
        throw data_error(std::string("factory /versions: malformed JSON: ") + e.what());
    }
    if (!doc.is_array()) throw data_error("factory /versions: expected a JSON array of version strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < doc.size(); ++i) {
        if (!doc[i].is_string())
            throw data_error("factory /versions: element " + std::to_string(i) + " is not a string");
        out.push_back(doc[i].get<std::string>());
    }
    return out;
}

std::optional<std::string> latest_stable(const std::vector<std::string>& versions) {
    std::optional<std::pair<SemVer, std::string>> best;
    for (const auto& text : versions) {
        const auto v = parse_semver(text);
        if (!v || !v->stable()) continue;
        if (!best || compare(*v, best->first) == std::strong_ordering::greater) best = {*v, text};
    }
    if (!best) return std::nullopt;
    return best->second;
}

bool valid_version_text(std::string_view text) {
    return text == "latest" || (text.size() > 1 && text.front() == 'v' && parse_semver(text).has_value());
}

}  // namespace mb::talos
