#include "efi/describe.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/boot.hpp"
#include "efi/bytes.hpp"
#include "efi/devpath.hpp"
#include "efi/load_option.hpp"

namespace mb::efi {

namespace {

bool is_devpath_var(const Variable& v) {
    static const std::u16string_view kNames[] = {u"ConIn", u"ConOut", u"ErrOut", u"ConInDev", u"ConOutDev",
                                                 u"ErrOutDev", u"_NDL"};
    for (auto n : kNames) {
        if (v.name == n) return true;
    }
    return false;
}

bool is_u16_array(const Variable& v) {
    return v.guid == guids::kGlobal && (v.name == u"BootOrder" || v.name == u"DriverOrder" || v.name == u"SysPrepOrder");
}

bool is_load_option(const Variable& v) {
    if (v.guid != guids::kGlobal) return false;
    for (std::u16string_view prefix : {u"Boot", u"Driver", u"SysPrep", u"PlatformRecovery"}) {
        if (v.name.size() == prefix.size() + 4 && v.name.starts_with(prefix)) {
            return std::all_of(v.name.end() - 4, v.name.end(),
                               [](char16_t c) { return (c >= u'0' && c <= u'9') || (c >= u'A' && c <= u'F'); });
        }
    }
    return false;
}

bool printable_ascii(const std::vector<uint8_t>& d) {
    if (d.size() < 2 || d.back() != 0) return false;
    return std::all_of(d.begin(), d.end() - 1, [](uint8_t c) { return c >= 0x20 && c < 0x7F; });
}

}  // namespace

std::string attr_text(uint32_t attr) {
    static constexpr std::pair<uint32_t, const char*> kBits[] = {
        {0x1, "NV"}, {0x2, "BS"}, {0x4, "RT"}, {0x8, "HW"}, {0x10, "AW"}, {0x20, "AT"}, {0x40, "AP"}};
    std::vector<std::string> parts;
    uint32_t rest = attr;
    for (auto [bit, name] : kBits) {
        if (attr & bit) {
            parts.emplace_back(name);
            rest &= ~bit;
        }
    }
    if (rest) parts.push_back(fmt::format("{:#x}", rest));
    return parts.empty() ? "0" : join(parts, "|");
}

std::string describe_value(const Variable& v) {
    const auto& d = v.data;
    try {
        if (is_load_option(v)) return LoadOption::decode(d).summary();
        if (is_u16_array(v) && d.size() % 2 == 0) {
            std::vector<std::string> parts;
            for (size_t i = 0; i < d.size(); i += 2) parts.push_back(fmt::format("{:04X}", le16(d.data() + i)));
            return "boot order: " + join(parts, ", ");
        }
        if (is_devpath_var(v)) return "devpath: " + DevicePath::decode(d).to_text();
    } catch (const Error& e) {
        return fmt::format("invalid: {} (hex {})", e.what(), to_hex(d));
    }
    if (printable_ascii(d) && d.size() <= 64) return fmt::format("ascii: {}", std::string(d.begin(), d.end() - 1));
    switch (d.size()) {
    case 0: return "empty";
    case 1: return fmt::format("byte: {:#04x}", d[0]);
    case 2: return fmt::format("word: {:#06x}", le16(d.data()));
    case 4: return fmt::format("dword: {:#010x}", le32(d.data()));
    case 8: return fmt::format("qword: {:#018x}", le64(d.data()));
    default: break;
    }
    if (d.size() <= 32) return "hex: " + to_hex(d);
    return fmt::format("blob: {} bytes", d.size());
}

nlohmann::ordered_json variable_json(const Variable& v) {
    nlohmann::ordered_json j;
    j["name"] = v.name_utf8();
    j["guid"] = v.guid.str();
    if (auto n = v.guid.name(); !n.empty()) j["guid_name"] = n;
    j["attr"] = v.attr;
    j["attr_text"] = attr_text(v.attr);
    j["size"] = v.data.size();
    j["data"] = to_hex(v.data);
    if (v.time.is_set()) j["time"] = v.time.iso();
    if (v.count) j["monotonic_count"] = v.count;
    if (v.pkidx) j["pubkey_index"] = v.pkidx;
    j["value"] = describe_value(v);
    return j;
}

nlohmann::ordered_json store_json(const Store& s) {
    const auto& l = s.layout;
    nlohmann::ordered_json j;
    j["image_size"] = s.image_size;
    if (l.has_fv) {
        j["fv_offset"] = hex_offset(l.fv_offset);
        j["fv_length"] = hex_offset(l.fv_length);
        j["fv_attributes"] = fmt::format("{:#x}", l.fv_attributes);
        j["fv_checksum"] = fmt::format("{:#06x}", l.fv_checksum);
        auto bm = nlohmann::ordered_json::array();
        for (const auto& b : l.block_map) bm.push_back({{"count", b.count}, {"length", b.length}});
        j["block_map"] = bm;
    } else {
        j["fv_offset"] = nullptr;
    }
    j["store_offset"] = hex_offset(l.store_offset);
    j["store_size"] = hex_offset(l.store_size);
    j["format"] = l.authenticated ? "authenticated" : "plain";
    j["records_begin"] = hex_offset(l.records_begin);
    j["records_end"] = hex_offset(l.records_end);
    j["used_end"] = hex_offset(s.used_end);
    j["bytes_used"] = s.used_end - l.records_begin;
    j["bytes_free"] = l.records_end - s.used_end;
    j["records"] = s.records.size();
    j["live_variables"] = s.vars.size();
    j["free_space_clean"] = !s.dirty_free;
    if (s.dirty_free) j["first_dirty_byte"] = hex_offset(*s.dirty_free);
    nlohmann::ordered_json f;
    f["present"] = s.ftw.present;
    if (s.ftw.present) {
        f["offset"] = hex_offset(s.ftw.offset);
        f["write_queue_size"] = hex_offset(s.ftw.write_queue_size);
        f["crc"] = fmt::format("{:#010x}", s.ftw.crc);
        f["crc_ok"] = s.ftw.crc_ok;
        f["state"] = fmt::format("{:#04x}", s.ftw.state);
        f["queue_empty"] = s.ftw.queue_empty;
        f["pending_write"] = s.ftw.pending ? nlohmann::ordered_json(hex_offset(*s.ftw.pending)) : nullptr;
    }
    j["ftw"] = f;
    return j;
}

}  // namespace mb::efi
