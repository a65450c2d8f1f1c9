#pragma once
// The three walks over a schema struct (see schema.hpp): YAML decoding with file:line errors and
// provenance, JSON encoding, and key listing for documentation. Included by config/*.cpp only.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>

#include "config/schema.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::config {

// key path ("dhcp.pools[0].subnet") → "file:line" of the layer that last set it.
using Provenance = std::map<std::string, std::string>;

struct DecodeContext {
    std::string file;  // as shown in messages, relative to the tree root ("devices/dc-a6-...yaml")
    Provenance* provenance = nullptr;
};

[[noreturn]] void throw_decode_error(const DecodeContext& ctx, const YAML::Node& node, const std::string& key,
                                     const std::string& message);
std::string scalar_text(const YAML::Node& node);
std::string location(const DecodeContext& ctx, const YAML::Node& node);

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

template <class T>
struct is_vector_of_sections : std::false_type {};
template <Section T>
struct is_vector_of_sections<std::vector<T>> : std::true_type {};

template <Section T>
void decode_section(const YAML::Node& node, T& out, const DecodeContext& ctx, const std::string& prefix);

class YamlDecoder {
public:
    YamlDecoder(const YAML::Node& map, const DecodeContext& ctx, std::string prefix)
        : map_(map), ctx_(ctx), prefix_(std::move(prefix)) {}

    template <class T, class Check = NoCheck>
    void field(const char* key, T& out, const char* /*doc*/, Check check = {}) {
        known_.push_back(key);
        const YAML::Node value = map_[key];
        if (!value.IsDefined()) return;
        decode_value(value, out, path(key), check);
    }

    // Rejects keys that no field consumed, and duplicate keys.
    void finish() const {
        std::set<std::string> seen;
        for (const auto& kv : map_) {
            const std::string key = kv.first.Scalar();
            if (!seen.insert(key).second) throw_decode_error(ctx_, kv.first, path(key), "duplicate key");
            bool found = false;
            for (const auto& k : known_) found = found || k == key;
            if (!found) {
                std::string message = "unknown key";
                if (auto suggestion = closest_match(key, known_)) message += " (did you mean '" + *suggestion + "'?)";
                throw_decode_error(ctx_, kv.first, path(key), message);
            }
        }
    }

    template <class T, class Check>
    void decode_value(const YAML::Node& node, T& out, const std::string& key, const Check& check) {
        if constexpr (is_optional<T>::value) {
            if (node.IsNull()) {
                out.reset();
                record(key, node);
                return;
            }
            typename T::value_type inner = out.value_or(typename T::value_type{});
            decode_value(node, inner, key, check);
            out = std::move(inner);
        } else if constexpr (Section<T>) {
            if (node.IsNull()) return;
            if (!node.IsMap()) throw_decode_error(ctx_, node, key, "expected a mapping of keys, got " + describe(node));
            decode_section(node, out, ctx_, key);
        } else if constexpr (is_vector<T>::value) {
            if (node.IsNull()) return;
            using E = typename T::value_type;
            T result;
            bool single = false;
            if constexpr (!Section<E>) {
                if (node.IsScalar()) {
                    E item{};
                    decode_scalar(node, item, key, NoCheck{});
                    result.push_back(std::move(item));
                    single = true;
                }
            }
            if (single) {
            } else if (!node.IsSequence()) {
                throw_decode_error(ctx_, node, key, "expected a list, got " + describe(node));
            } else {
                for (size_t i = 0; i < node.size(); ++i) {
                    E item{};
                    decode_value(node[i], item, key + "[" + std::to_string(i) + "]", NoCheck{});
                    result.push_back(std::move(item));
                }
            }
            if constexpr (std::is_invocable_v<Check, const T&>) {
                if (auto err = check(result)) throw_decode_error(ctx_, node, key, *err);
            }
            out = std::move(result);
            record(key, node);
        } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
            if (node.IsNull()) return;
            if (!node.IsMap()) throw_decode_error(ctx_, node, key, "expected a mapping, got " + describe(node));
            T result;
            for (const auto& kv : node) {
                if (!kv.second.IsScalar())
                    throw_decode_error(ctx_, kv.second, key + "." + kv.first.Scalar(), "expected a string");
                result[kv.first.Scalar()] = kv.second.Scalar();
            }
            out = std::move(result);
            record(key, node);
        } else {
            if (node.IsNull()) return;  // null keeps the value of the layer below
            decode_scalar(node, out, key, check);
        }
    }

private:
    template <class T, class Check>
    void decode_scalar(const YAML::Node& node, T& out, const std::string& key, const Check& check) {
        if (!node.IsScalar()) throw_decode_error(ctx_, node, key, expectation<T>(check) + ", got " + describe(node));
        const std::string text = node.Scalar();
        T value{};
        if constexpr (std::is_same_v<T, bool>) {
            const std::string t = to_lower(text);
            if (t == "true" || t == "yes" || t == "on") value = true;
            else if (t == "false" || t == "no" || t == "off") value = false;
            else throw_decode_error(ctx_, node, key, expectation<T>(check) + ", got " + mb::quoted(text));
        } else if constexpr (std::is_integral_v<T> && std::is_same_v<Check, ByteSize>) {
            auto parsed = parse_byte_size(text);
            if (!parsed || *parsed > static_cast<uint64_t>(std::numeric_limits<T>::max()))
                throw_decode_error(ctx_, node, key, "expected a size in bytes (e.g. 10737418240 or 10G), got " + mb::quoted(text));
            value = static_cast<T>(*parsed);
        } else if constexpr (std::is_integral_v<T>) {
            std::string_view digits = trim(text);
            bool negative = false;
            if (!digits.empty() && digits[0] == '-') {
                negative = true;
                digits.remove_prefix(1);
            }
            auto parsed = parse_uint(digits);
            if (!parsed || (negative && std::is_unsigned_v<T> && *parsed != 0) ||
                *parsed > static_cast<uint64_t>(std::numeric_limits<T>::max()))
                throw_decode_error(ctx_, node, key, expectation<T>(check) + ", got " + mb::quoted(text));
            value = negative ? static_cast<T>(-static_cast<int64_t>(*parsed)) : static_cast<T>(*parsed);
        } else if constexpr (std::is_floating_point_v<T>) {
            try {
                size_t used = 0;
                value = static_cast<T>(std::stod(text, &used));
                if (used != text.size()) throw std::invalid_argument(text);
            } catch (const std::exception&) {
                throw_decode_error(ctx_, node, key, expectation<T>(check) + ", got " + mb::quoted(text));
            }
        } else {
            static_assert(std::is_same_v<T, std::string>, "unsupported schema field type");
            value = text;
        }
        if constexpr (std::is_invocable_v<Check, const T&>) {
            if (auto err = check(value)) throw_decode_error(ctx_, node, key, *err + ", got " + mb::quoted(text));
        }
        out = std::move(value);
        record(key, node);
    }

    template <class T, class Check>
    static std::string expectation(const Check& check) {
        if constexpr (std::is_same_v<T, bool>) return "expected true or false";
        else if constexpr (std::is_integral_v<T>) {
            if constexpr (std::is_same_v<Check, Range>) return "expected an integer " + check.describe();
            return "expected an integer";
        } else if constexpr (std::is_floating_point_v<T>) return "expected a number";
        else return "expected a string";
    }

    static std::string describe(const YAML::Node& node) {
        if (node.IsMap()) return "a mapping";
        if (node.IsSequence()) return "a list";
        if (node.IsNull()) return "null";
        return mb::quoted(node.Scalar());
    }

    std::string path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

    void record(const std::string& key, const YAML::Node& node) {
        if (ctx_.provenance) (*ctx_.provenance)[key] = location(ctx_, node);
    }

    const YAML::Node& map_;
    const DecodeContext& ctx_;
    std::string prefix_;
    std::vector<std::string> known_;
};

template <Section T>
void decode_section(const YAML::Node& node, T& out, const DecodeContext& ctx, const std::string& prefix) {
    YamlDecoder decoder(node, ctx, prefix);
    out.visit(decoder);
    decoder.finish();
}

// Applies a YAML mapping onto `out`: keys present override, absent keys keep their value.
template <Section T>
void apply_yaml(const YAML::Node& node, T& out, const DecodeContext& ctx, const std::string& prefix = "") {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) throw_decode_error(ctx, node, prefix.empty() ? "(document)" : prefix, "expected a mapping of keys");
    decode_section(node, out, ctx, prefix);
}

class JsonEncoder {
public:
    explicit JsonEncoder(nlohmann::ordered_json& out) : out_(out) { out_ = nlohmann::ordered_json::object(); }
    template <class T, class Check = NoCheck>
    void field(const char* key, T& value, const char*, Check = {}) {
        out_[key] = encode(value);
    }

    template <class T>
    static nlohmann::ordered_json encode(const T& value) {
        if constexpr (is_optional<T>::value) {
            return value ? encode(*value) : nlohmann::ordered_json(nullptr);
        } else if constexpr (Section<T>) {
            nlohmann::ordered_json j;
            JsonEncoder e(j);
            const_cast<T&>(value).visit(e);
            return j;
        } else if constexpr (is_vector<T>::value) {
            auto arr = nlohmann::ordered_json::array();
            for (const auto& item : value) arr.push_back(encode(item));
            return arr;
        } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
            auto obj = nlohmann::ordered_json::object();
            for (const auto& [k, v] : value) obj[k] = v;
            return obj;
        } else {
            return nlohmann::ordered_json(value);
        }
    }

private:
    nlohmann::ordered_json& out_;
};

template <Section T>
nlohmann::ordered_json to_json(const T& value) {
    return JsonEncoder::encode(value);
}

// One documented key.
struct KeyDoc {
    std::string path;     // "dhcp.pools[].subnet"
    std::string type;     // "bool", "integer", "string", "list of string", ...
    std::string doc;
    std::string check;    // "1-65535", "proxy|full", "IPv4 address"
    nlohmann::ordered_json default_value;
};

class KeyLister {
public:
    KeyLister(std::vector<KeyDoc>& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}
    template <class T, class Check = NoCheck>
    void field(const char* key, T& value, const char* doc, Check check = {}) {
        const std::string path = prefix_.empty() ? key : prefix_ + "." + key;
        list(path, value, doc, check.describe());
    }

private:
    template <class T>
    void list(const std::string& path, T& value, const char* doc, const std::string& check) {
        if constexpr (is_optional<T>::value) {
            typename T::value_type inner = value.value_or(typename T::value_type{});
            if constexpr (Section<typename T::value_type>) {
                list(path, inner, doc, check);
            } else {
                out_.push_back({path, type_name<typename T::value_type>() + " or null", doc, check, JsonEncoder::encode(value)});
            }
        } else if constexpr (Section<T>) {
            out_.push_back({path, "section", doc, "", nlohmann::ordered_json()});
            KeyLister inner(out_, path);
            value.visit(inner);
        } else if constexpr (is_vector_of_sections<T>::value) {
            out_.push_back({path, "list of sections", doc, "", nlohmann::ordered_json::array()});
            typename T::value_type item{};
            KeyLister inner(out_, path + "[]");
            item.visit(inner);
        } else {
            out_.push_back({path, type_name<T>(), doc, check, JsonEncoder::encode(value)});
        }
    }

    template <class T>
    static std::string type_name() {
        if constexpr (std::is_same_v<T, bool>) return "bool";
        else if constexpr (std::is_integral_v<T>) return "integer";
        else if constexpr (std::is_floating_point_v<T>) return "number";
        else if constexpr (std::is_same_v<T, std::string>) return "string";
        else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) return "map of string";
        else if constexpr (is_vector<T>::value) return "list of " + type_name<typename T::value_type>();
        else return "value";
    }

    std::vector<KeyDoc>& out_;
    std::string prefix_;
};

template <Section T>
std::vector<KeyDoc> list_keys(const std::string& prefix = "") {
    std::vector<KeyDoc> out;
    T value{};
    KeyLister lister(out, prefix);
    value.visit(lister);
    return out;
}

}  // namespace mb::config
