#include "device/mac.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::device {
namespace {
int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<Mac> Mac::parse(std::string_view text) {
    text = trim(text);
    // PXELINUX / IPA BOOTIF form: hardware type 01 followed by a dashed MAC.
    if (text.size() == 20 && text.substr(0, 3) == "01-") text.remove_prefix(3);
    std::string digits;
    char separator = 0;
    int group = 0;
    std::vector<int> group_sizes;
    for (char c : text) {
        if (hex_digit(c) >= 0) {
            digits += c;
            ++group;
        } else if (c == ':' || c == '-' || c == '.') {
            if (separator && c != separator) return std::nullopt;
            separator = c;
            group_sizes.push_back(group);
            group = 0;
        } else {
            return std::nullopt;
        }
    }
    group_sizes.push_back(group);
    if (digits.size() != 12) return std::nullopt;
    if (separator == ':' || separator == '-') {
        if (group_sizes.size() != 6) return std::nullopt;
        for (int g : group_sizes)
            if (g != 2) return std::nullopt;
    } else if (separator == '.') {
        if (group_sizes.size() != 3) return std::nullopt;
        for (int g : group_sizes)
            if (g != 4) return std::nullopt;
    }
    std::array<uint8_t, 6> bytes{};
    for (size_t i = 0; i < 6; ++i)
        bytes[i] = static_cast<uint8_t>(hex_digit(digits[2 * i]) << 4 | hex_digit(digits[2 * i + 1]));
    return Mac(bytes);
}

Mac Mac::parse_or_throw(std::string_view text) {
    auto m = parse(text);
    if (!m) throw data_error("invalid MAC address " + mb::quoted(text) + " (expected e.g. dc:a6:32:01:02:03)");
    return *m;
}

namespace {
std::string join_bytes(const std::array<uint8_t, 6>& b, const char* sep, bool upper) {
    static const char lower_digits[] = "0123456789abcdef";
    static const char upper_digits[] = "0123456789ABCDEF";
    const char* d = upper ? upper_digits : lower_digits;
    std::string out;
    for (size_t i = 0; i < 6; ++i) {
        if (i && sep) out += sep;
        out += d[b[i] >> 4];
        out += d[b[i] & 0xf];
    }
    return out;
}
}  // namespace

std::string Mac::colon() const { return join_bytes(bytes_, ":", false); }
std::string Mac::dashed() const { return join_bytes(bytes_, "-", false); }
std::string Mac::bare() const { return join_bytes(bytes_, nullptr, false); }
std::string Mac::upper_bare() const { return join_bytes(bytes_, nullptr, true); }

bool Mac::is_zero() const {
    for (uint8_t b : bytes_)
        if (b) return false;
    return true;
}

}  // namespace mb::device
