#include "tftp/options.hpp"

#include <algorithm>
#include <string>

#include "core/strings.hpp"

namespace mb::tftp {

namespace {

// A strict decimal number: digits only (no sign, no hex, no spaces), at most 19 digits.
std::optional<uint64_t> decimal(const std::string& text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

const Option* find(const Request& r, std::string_view name) {
    for (const auto& o : r.options)
        if (iequals(o.name, name)) return &o;  // the first occurrence wins
    return nullptr;
}

}  // namespace

Negotiated negotiate(const Request& request, std::optional<uint64_t> size, const Limits& limits) {
    Negotiated n;
    const bool octet = request.mode == Mode::octet;
    if (const Option* o = limits.blksize ? find(request, "blksize") : nullptr) {
        if (auto v = decimal(o->value); v && *v >= kMinBlockSize) {
            const uint64_t cap = std::clamp<uint64_t>(limits.max_blksize, kMinBlockSize, kMaxBlockSize);
            n.blksize = static_cast<uint32_t>(std::min<uint64_t>(*v, cap));
            n.oack.push_back({"blksize", std::to_string(n.blksize)});
        }
    }
    if (const Option* o = limits.tsize ? find(request, "tsize") : nullptr) {
        // An RRQ carries 0 (any number is tolerated); only octet transfers have an exact size.
        if (decimal(o->value) && size && octet && (*size > 0 || limits.tsize_for_empty)) {
            n.tsize = true;
            n.oack.push_back({"tsize", std::to_string(*size)});
        }
    }
    if (const Option* o = limits.timeout ? find(request, "timeout") : nullptr) {
        if (auto v = decimal(o->value); v && *v >= 1 && *v <= 255) {
            n.timeout_s = static_cast<uint8_t>(*v);
            n.oack.push_back({"timeout", std::to_string(*v)});
        }
    }
    if (const Option* o = limits.windowsize ? find(request, "windowsize") : nullptr) {
        if (auto v = decimal(o->value); v && *v >= 1 && *v <= 65535 && octet && limits.max_windowsize >= 1) {
            n.windowsize = static_cast<uint16_t>(std::min<uint64_t>(*v, limits.max_windowsize));
            n.oack.push_back({"windowsize", std::to_string(n.windowsize)});
        }
    }
    return n;
}

std::optional<uint64_t> announced_size(const Request& request) {
    if (const Option* o = find(request, "tsize")) return decimal(o->value);
    return std::nullopt;
}

Negotiated negotiate_write(const Request& request, const Limits& limits) {
    Limits l = limits;
    l.tsize = false;
    l.windowsize = false;
    Negotiated n = negotiate(request, std::nullopt, l);
    if (limits.tsize) {
        if (auto size = announced_size(request)) {
            n.tsize = true;
            // Keep the stable order blksize, tsize, timeout.
            auto at = n.oack.begin();
            if (at != n.oack.end() && at->name == "blksize") ++at;
            n.oack.insert(at, {"tsize", std::to_string(*size)});
        }
    }
    return n;
}

}  // namespace mb::tftp
