#include "efi/load_option.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/bytes.hpp"
#include "efi/guid.hpp"
#include "efi/variable.hpp"

namespace mb::efi {

LoadOption LoadOption::decode(std::span<const uint8_t> b) {
    if (b.size() < 6)
        throw data_error(fmt::format("load option is {} bytes, shorter than the 6-byte header", b.size()));
    LoadOption o;
    o.attributes = le32(b.data());
    const uint16_t fpl = le16(b.data() + 4);
    size_t p = 6;
    while (true) {
        if (p + 2 > b.size()) throw data_error("load option: Description is not NUL-terminated inside the option");
        const char16_t c = static_cast<char16_t>(le16(b.data() + p));
        p += 2;
        if (c == 0) break;
        o.description.push_back(c);
    }
    if (fpl < 4 || p + fpl > b.size()) {
        throw data_error(
            fmt::format("load option: FilePathListLength {} at byte 4 does not fit ({} bytes after the "
                        "description at byte {})",
                        fpl, b.size() - p, p));
    }
    o.paths = DevicePath::decode_list(b.subspan(p, fpl), p);
    o.optional_data.assign(b.begin() + static_cast<long>(p + fpl), b.end());
    return o;
}

std::vector<uint8_t> LoadOption::encode() const {
    std::vector<uint8_t> out;
    append32(out, attributes);
    std::vector<uint8_t> fpl;
    for (const auto& path : paths) {
        auto e = path.encode();
        fpl.insert(fpl.end(), e.begin(), e.end());
    }
    if (fpl.size() > 0xFFFF) throw data_error("load option: device paths exceed 65535 bytes");
    append16(out, static_cast<uint16_t>(fpl.size()));
    for (char16_t c : description) append16(out, static_cast<uint16_t>(c));
    append16(out, 0);
    out.insert(out.end(), fpl.begin(), fpl.end());
    out.insert(out.end(), optional_data.begin(), optional_data.end());
    return out;
}

bool LoadOption::auto_created() const {
    const auto& g = guids::kAutoCreateBoot.bytes();
    return optional_data.size() == 16 && std::equal(g.begin(), g.end(), optional_data.begin());
}

std::string LoadOption::title() const {
    return to_utf8(description);
}

std::string LoadOption::path_text() const {
    std::string s;
    for (size_t i = 0; i < paths.size(); ++i) {
        if (i) s += ';';
        s += paths[i].to_text();
    }
    return s;
}

std::string LoadOption::summary() const {
    std::string s = fmt::format("title=\"{}\" devpath={}", title(), path_text());
    if (!optional_data.empty()) s += " optdata=" + to_hex(optional_data);
    return s;
}

}  // namespace mb::efi
