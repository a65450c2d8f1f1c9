#include "tftp/mapping.hpp"

#include <cctype>

#include "core/strings.hpp"

namespace mb::tftp {

std::string_view identity_source_name(IdentitySource s) {
    switch (s) {
        case IdentitySource::none: return "none";
        case IdentitySource::serial: return "serial";
        case IdentitySource::mac_prefix: return "mac-prefix";
        case IdentitySource::source_ip: return "source-ip";
    }
    return "none";
}

bool looks_like_serial(std::string_view s) {
    if (s.size() != 8) return false;
    for (char c : s)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

std::optional<device::Mac> parse_dashed_mac(std::string_view s) {
    if (s.size() != 17) return std::nullopt;
    for (size_t i = 2; i < 17; i += 3)
        if (s[i] != '-') return std::nullopt;
    return device::Mac::parse(s);
}

MappedRequest map_request(const std::string& normalized, std::string_view client_ip, const IdentityLookup& lookup) {
    MappedRequest m;
    m.relative = normalized;
    const auto slash = normalized.find('/');
    if (slash != std::string::npos && slash + 1 < normalized.size()) {
        const std::string_view first(normalized.data(), slash);
        if (looks_like_serial(first)) {
            m.prefix = to_lower(first);
            m.relative = normalized.substr(slash + 1);
            if (lookup.by_serial) {
                if (auto mac = lookup.by_serial(m.prefix)) {
                    m.mac = *mac;
                    m.via = IdentitySource::serial;
                    return m;
                }
            }
        } else if (auto mac = parse_dashed_mac(first)) {
            m.prefix = to_lower(first);
            m.relative = normalized.substr(slash + 1);
            m.mac = *mac;
            m.via = IdentitySource::mac_prefix;
            return m;
        }
    }
    if (lookup.by_ip && !client_ip.empty()) {
        if (auto mac = lookup.by_ip(client_ip)) {
            m.mac = *mac;
            m.via = IdentitySource::source_ip;
        }
    }
    return m;
}

}  // namespace mb::tftp
