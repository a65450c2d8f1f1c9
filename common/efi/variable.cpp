#include "efi/variable.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/bytes.hpp"

namespace mb::efi {

EfiTime EfiTime::normalized() const {
    EfiTime t;
    if (!is_set()) return t;
    for (int i = 0; i < 7; ++i) t.raw[i] = raw[i];
    const uint32_t ns = le32(raw.data() + 8);
    put32(t.raw.data() + 8, ns / 1000 * 1000);
    return t;
}

std::string EfiTime::iso() const {
    if (!is_set()) return "";
    std::string s = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", year(), raw[2], raw[3], raw[4], raw[5], raw[6]);
    const uint32_t ns = le32(raw.data() + 8);
    if (ns) s += fmt::format(".{:09}", ns);
    return s;
}

std::string to_utf8(std::u16string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char16_t c : s) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if (c < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xE0 | (c >> 12)));
            out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

std::u16string to_ucs2(std::string_view s) {
    std::u16string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto b = static_cast<uint8_t>(s[i]);
        uint32_t cp;
        size_t n;
        if (b < 0x80) {
            cp = b;
            n = 1;
        } else if ((b & 0xE0) == 0xC0) {
            cp = b & 0x1F;
            n = 2;
        } else if ((b & 0xF0) == 0xE0) {
            cp = b & 0x0F;
            n = 3;
        } else {
            throw data_error(
                fmt::format("name {}: not UCS-2 (byte {} is outside the Basic Multilingual Plane)", mb::quoted(s), i));
        }
        if (i + n > s.size()) throw data_error(fmt::format("name {}: truncated UTF-8 sequence", mb::quoted(s)));
        for (size_t k = 1; k < n; ++k) {
            const auto c = static_cast<uint8_t>(s[i + k]);
            if ((c & 0xC0) != 0x80)
                throw data_error(fmt::format("name {}: invalid UTF-8 at byte {}", mb::quoted(s), i + k));
            cp = cp << 6 | (c & 0x3F);
        }
        out.push_back(static_cast<char16_t>(cp));
        i += n;
    }
    return out;
}

bool name_less(const std::u16string& a, const std::u16string& b) {
    return a < b;
}

std::string Variable::name_utf8() const {
    return to_utf8(name);
}

const Variable* Variables::find(const Guid& guid, std::u16string_view name) const {
    for (const auto& v : vars_) {
        if (v.guid == guid && v.name == name) return &v;
    }
    return nullptr;
}

Variable* Variables::find(const Guid& guid, std::u16string_view name) {
    for (auto& v : vars_) {
        if (v.guid == guid && v.name == name) return &v;
    }
    return nullptr;
}

std::vector<const Variable*> Variables::find_name(std::u16string_view name) const {
    std::vector<const Variable*> out;
    for (const auto& v : vars_) {
        if (v.name == name) out.push_back(&v);
    }
    return out;
}

void Variables::set(Variable v) {
    if (Variable* old = find(v.guid, v.name)) {
        *old = std::move(v);
    } else {
        vars_.push_back(std::move(v));
    }
}

bool Variables::erase(const Guid& guid, std::u16string_view name) {
    auto it =
        std::find_if(vars_.begin(), vars_.end(), [&](const Variable& v) { return v.guid == guid && v.name == name; });
    if (it == vars_.end()) return false;
    vars_.erase(it);
    return true;
}

}  // namespace mb::efi
