#include "efi/vars_json.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/bytes.hpp"

namespace mb::efi {

namespace {

void append_py_string(std::string& out, std::u16string_view s) {
    out.push_back('"');
    for (char16_t c : s) {
        switch (c) {
        case u'"': out += "\\\""; break;
        case u'\\': out += "\\\\"; break;
        case u'\n': out += "\\n"; break;
        case u'\r': out += "\\r"; break;
        case u'\t': out += "\\t"; break;
        case u'\b': out += "\\b"; break;
        case u'\f': out += "\\f"; break;
        default:
            if (c < 0x20 || c > 0x7E) {
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    out.push_back('"');
}

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw data_error(path + ": " + what); }

std::vector<uint8_t> hex_field(const nlohmann::json& v, const std::string& path) {
    if (!v.is_string()) fail(path, "expected a hex string");
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() % 2) fail(path, fmt::format("odd number of hex digits ({})", s.size()));
    std::vector<uint8_t> out;
    out.reserve(s.size() / 2);
    for (size_t i = 0; i < s.size(); i += 2) {
        auto nib = [&](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            fail(path, fmt::format("not a hex digit at position {}: {}", i, mb::quoted(std::string(1, c))));
        };
        out.push_back(static_cast<uint8_t>(nib(s[i]) << 4 | nib(s[i + 1])));
    }
    return out;
}

JsonVariable parse_variable(const nlohmann::json& o, const std::string& path) {
    if (!o.is_object()) fail(path, "expected an object");
    JsonVariable jv;
    jv.path = path;
    auto name = o.find("name");
    if (name == o.end() || !name->is_string()) fail(path + ".name", "missing or not a string");
    jv.var.name = to_ucs2(name->get_ref<const std::string&>());
    if (jv.var.name.empty()) fail(path + ".name", "empty name");
    if (jv.var.name.find(u'\0') != std::u16string::npos) fail(path + ".name", "contains a NUL character");
    auto guid = o.find("guid");
    if (guid == o.end() || !guid->is_string()) fail(path + ".guid", "missing or not a string");
    auto g = Guid::parse(guid->get_ref<const std::string&>());
    if (!g) fail(path + ".guid", fmt::format("not a GUID or known GUID name: {}", mb::quoted(guid->get<std::string>())));
    jv.var.guid = *g;
    if (auto del = o.find("delete"); del != o.end()) {
        if (!del->is_boolean()) fail(path + ".delete", "expected true or false");
        jv.remove = del->get<bool>();
    }
    if (auto attr = o.find("attr"); attr != o.end() && !attr->is_null()) {
        if (!attr->is_number_unsigned() || attr->get<uint64_t>() > 0xFFFFFFFFu) {
            fail(path + ".attr", "expected an integer 0..4294967295");
        }
        jv.var.attr = static_cast<uint32_t>(attr->get<uint64_t>());
        jv.has_attr = true;
    }
    auto data = o.find("data");
    if (data == o.end()) {
        if (!jv.remove) fail(path + ".data", "missing");
    } else {
        jv.var.data = hex_field(*data, path + ".data");
    }
    for (const char* key : {"time", "timestamp"}) {
        auto t = o.find(key);
        if (t == o.end() || t->is_null()) continue;
        const auto bytes = hex_field(*t, path + "." + key);
        if (bytes.empty()) continue;
        if (bytes.size() != 16) fail(path + "." + key, fmt::format("EFI_TIME must be 16 bytes, got {}", bytes.size()));
        std::copy(bytes.begin(), bytes.end(), jv.var.time.raw.begin());
        jv.has_time = true;
    }
    if (auto d = o.find("digest"); d != o.end() && !d->is_null()) hex_field(*d, path + ".digest");
    return jv;
}

}  // namespace

std::string export_json(const Variables& vars, bool trailing_newline) {
    std::string out;
    out.reserve(64 + vars.size() * 160);
    out += "{\n    \"version\": 2,\n    \"variables\": [";
    if (vars.empty()) {
        out += "]";
    } else {
        bool first = true;
        for (const auto& v : vars) {
            out += first ? "\n" : ",\n";
            first = false;
            out += "        {\n            \"name\": ";
            append_py_string(out, v.name);
            out += ",\n            \"guid\": \"";
            out += v.guid.str();
            out += "\",\n            \"attr\": ";
            out += std::to_string(v.attr);
            out += ",\n            \"data\": \"";
            out += to_hex(v.data);
            out += "\"";
            if (v.time.is_set()) {
                out += ",\n            \"time\": \"";
                out += to_hex(v.time.normalized().raw);
                out += "\"";
            }
            out += "\n        }";
        }
        out += "\n    ]";
    }
    out += "\n}";
    if (trailing_newline) out += "\n";
    return out;
}

std::vector<JsonVariable> parse_json(std::string_view text) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
        throw data_error(fmt::format("JSON syntax error at byte {}: {}", e.byte, e.what()));
    } catch (const nlohmann::json::exception& e) {
        throw data_error(fmt::format("JSON error: {}", e.what()));  // e.g. a number that overflows
    }
    const nlohmann::json* list = &doc;
    std::string prefix;
    if (doc.is_object()) {
        auto it = doc.find("variables");
        if (it == doc.end()) fail("$", "no \"variables\" array");
        if (!it->is_array()) fail("variables", "expected an array");
        list = &*it;
        prefix = "variables";
    } else if (!doc.is_array()) {
        fail("$", "expected an object with \"variables\" or an array");
    }
    std::vector<JsonVariable> out;
    out.reserve(list->size());
    for (size_t i = 0; i < list->size(); ++i) out.push_back(parse_variable((*list)[i], fmt::format("{}[{}]", prefix, i)));
    return out;
}

Variables import_json(std::string_view text) {
    Variables vars;
    for (auto& jv : parse_json(text)) {
        if (jv.remove) fail(jv.path + ".delete", "a deletion is not a variable of an export");
        if (!jv.has_attr) jv.var.attr = default_attr(jv.var.guid, jv.var.name);
        vars.set(std::move(jv.var));
    }
    return vars;
}

uint32_t default_attr(const Guid& guid, std::u16string_view name, bool virt_compat) {
    static const std::pair<std::u16string_view, uint32_t> kTable[] = {
        {u"SecureBoot", 6}, {u"SecureBootEnable", 3}, {u"CustomMode", 3}, {u"PK", 0x27}, {u"KEK", 0x27},
        {u"db", 0x27},      {u"dbx", 0x27},           {u"FB_NO_REBOOT", 7}, {u"MokList", 3}, {u"MokListX", 3},
        {u"MokListTrusted", 3}, {u"SbatLevel", 3},    {u"SHIM_VERBOSE", 3}, {u"SHIM_DEBUG", 3},
    };
    for (const auto& [n, a] : kTable) {
        if (n == name) return a;
    }
    if (name.starts_with(u"Boot")) return 7;
    if (virt_compat) return 3;
    if (guid == guids::kGlobal || guid == guids::kConfigDxe || guid == guids::kRpiTokenSpace ||
        guid == guids::kBootDiscovery) {
        return 7;
    }
    return 3;
}

size_t merge(Variables& target, const std::vector<JsonVariable>& updates, MergeMode mode) {
    size_t changed = 0;
    for (const auto& u : updates) {
        if (mode == MergeMode::NameOnly) {
            auto& items = target.items();
            auto first = std::find_if(items.begin(), items.end(), [&](const Variable& v) { return v.name == u.var.name; });
            if (u.remove) {
                const auto before = items.size();
                std::erase_if(items, [&](const Variable& v) { return v.name == u.var.name; });
                changed += before != items.size();
                continue;
            }
            Variable nv = u.var;
            if (!u.has_attr) nv.attr = default_attr(nv.guid, nv.name, true);
            if (first == items.end()) {
                items.push_back(std::move(nv));
            } else {
                const size_t pos = static_cast<size_t>(first - items.begin());
                items[pos] = std::move(nv);
                for (size_t i = items.size(); i-- > pos + 1;) {
                    if (items[i].name == u.var.name) items.erase(items.begin() + static_cast<long>(i));
                }
            }
            ++changed;
            continue;
        }
        if (u.remove) {
            changed += target.erase(u.var.guid, u.var.name);
            continue;
        }
        Variable nv = u.var;
        if (const Variable* old = target.find(nv.guid, nv.name)) {
            if (!u.has_attr) nv.attr = old->attr;
            if (*old == nv) continue;
        } else if (!u.has_attr) {
            nv.attr = default_attr(nv.guid, nv.name);
        }
        target.set(std::move(nv));
        ++changed;
    }
    return changed;
}

}  // namespace mb::efi
