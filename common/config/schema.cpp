#include "config/schema.hpp"

#include <arpa/inet.h>

#include "core/strings.hpp"
#include "device/mac.hpp"
#include "device/pi_serial.hpp"

namespace mb::config {

std::optional<uint64_t> parse_byte_size(const std::string& text) {
    const std::string_view t = trim(text);
    size_t i = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    const auto number = parse_uint(t.substr(0, i));
    if (i == 0 || !number) return std::nullopt;
    const std::string unit = to_lower(trim(t.substr(i)));
    uint64_t mult = 1;
    if (unit.empty() || unit == "b") mult = 1;
    else if (unit == "k" || unit == "kib" || unit == "kb") mult = 1ull << 10;
    else if (unit == "m" || unit == "mib" || unit == "mb") mult = 1ull << 20;
    else if (unit == "g" || unit == "gib" || unit == "gb") mult = 1ull << 30;
    else if (unit == "t" || unit == "tib" || unit == "tb") mult = 1ull << 40;
    else return std::nullopt;
    if (*number > UINT64_MAX / mult) return std::nullopt;
    return *number * mult;
}

std::optional<std::string> OneOf::operator()(const std::string& value) const {
    for (const auto& v : values)
        if (v == value) return std::nullopt;
    return "expected one of " + join(values, ", ");
}

std::optional<std::string> OneOf::operator()(const std::vector<std::string>& list) const {
    for (const auto& item : list)
        if (auto err = (*this)(item)) return *err + ", got '" + item + "'";
    return std::nullopt;
}

std::string OneOf::describe() const { return join(values, "|"); }

std::optional<std::string> check_format(Format format, const std::string& value) {
    if (value.empty()) return std::nullopt;
    switch (format) {
    case Format::ipv4: {
        in_addr a{};
        if (inet_pton(AF_INET, value.c_str(), &a) != 1) return "expected an IPv4 address";
        return std::nullopt;
    }
    case Format::ipv4_cidr: {
        const auto slash = value.find('/');
        in_addr a{};
        if (slash == std::string::npos || inet_pton(AF_INET, value.substr(0, slash).c_str(), &a) != 1 ||
            !parse_uint(value.substr(slash + 1), 32))
            return "expected an IPv4 network like 10.0.0.0/24";
        return std::nullopt;
    }
    case Format::mac:
        if (!device::Mac::parse(value)) return "expected a MAC address like dc:a6:32:01:02:03";
        return std::nullopt;
    case Format::url:
        if (!(starts_with_icase(value, "http://") || starts_with_icase(value, "https://")) || value.size() < 9)
            return "expected an http:// or https:// URL";
        return std::nullopt;
    case Format::chain_url:
        if (!((starts_with_icase(value, "http://") && value.size() > 7) ||
              (starts_with_icase(value, "https://") && value.size() > 8) ||
              (starts_with_icase(value, "tftp://") && value.size() > 7)))
            return "expected an http://, https:// or tftp:// URL";
        return std::nullopt;
    case Format::pi_serial:
        if (!device::PiSerial::parse(value)) return "expected a Pi serial of 8 hex digits like 5b154510";
        return std::nullopt;
    case Format::hex:
        if (!parse_hex(value)) return "expected hex bytes";
        return std::nullopt;
    case Format::path:
        if (value.find('\0') != std::string::npos) return "expected a path";
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::string> TextFormat::operator()(const std::string& value) const { return check_format(format, value); }

std::optional<std::string> TextFormat::operator()(const std::vector<std::string>& values) const {
    for (const auto& v : values)
        if (auto err = check_format(format, v)) return *err + ", got '" + v + "'";
    return std::nullopt;
}

std::string TextFormat::describe() const {
    switch (format) {
    case Format::ipv4: return "IPv4 address";
    case Format::ipv4_cidr: return "IPv4 network (CIDR)";
    case Format::mac: return "MAC address";
    case Format::url: return "URL";
    case Format::chain_url: return "http, https or tftp URL";
    case Format::pi_serial: return "Pi serial";
    case Format::hex: return "hex";
    case Format::path: return "path";
    }
    return "";
}

}  // namespace mb::config
