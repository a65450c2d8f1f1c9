#include "talos/settings_load.hpp"

#include <yaml-cpp/yaml.h>

#include <set>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::talos {

namespace {

std::string where(const std::filesystem::path& file, const YAML::Node& node, const std::string& key) {
    const auto mark = node.Mark();
    return file.string() + ":" + std::to_string(mark.line + 1) + ": talos." + key;
}

struct Loader {
    const std::filesystem::path& file;
    const YAML::Node& section;
    std::set<std::string> known;

    template <class T>
    void operator()(const char* key, T& member, const char*) {
        known.insert(key);
        const YAML::Node node = section[key];
        if (!node || node.IsNull()) return;
        const auto at = where(file, node, key);
        try {
            if constexpr (std::is_same_v<T, bool>) {
                member = node.as<bool>();
            } else if constexpr (std::is_same_v<T, std::string>) {
                if (!node.IsScalar()) throw config_error(at + ": expected a string");
                member = node.as<std::string>();
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                if (!node.IsSequence()) throw config_error(at + ": expected a list of strings");
                member.clear();
                for (const auto& item : node) {
                    if (!item.IsScalar()) throw config_error(at + ": expected a list of strings");
                    member.push_back(item.as<std::string>());
                }
            } else if constexpr (std::is_same_v<T, uint64_t>) {
                if (!node.IsScalar()) throw config_error(at + ": expected a size in bytes");
                member = parse_size(node.as<std::string>(), at);
            } else {
                if (!node.IsScalar()) throw config_error(at + ": expected a number");
                const auto v = parse_uint(node.as<std::string>(), UINT32_MAX);
                if (!v) throw config_error(at + ": " + mb::quoted(node.as<std::string>()) + " is not a number");
                member = static_cast<T>(*v);
            }
        } catch (const YAML::Exception& e) {
            throw config_error(at + ": " + e.msg);
        }
    }
};

}  // namespace

uint64_t parse_size(const std::string& text, const std::string& at) {
    const auto t = trim(text);
    size_t i = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    const auto number = parse_uint(t.substr(0, i));
    if (i == 0 || !number) throw config_error(at + ": " + mb::quoted(text) + " is not a size in bytes");
    const std::string unit = to_lower(trim(t.substr(i)));
    uint64_t mult = 1;
    if (unit.empty() || unit == "b") mult = 1;
    else if (unit == "k" || unit == "kib" || unit == "kb") mult = 1ull << 10;
    else if (unit == "m" || unit == "mib" || unit == "mb") mult = 1ull << 20;
    else if (unit == "g" || unit == "gib" || unit == "gb") mult = 1ull << 30;
    else if (unit == "t" || unit == "tib" || unit == "tb") mult = 1ull << 40;
    else throw config_error(at + ": unknown size unit " + mb::quoted(unit) + " (K, M, G, T)");
    if (*number > UINT64_MAX / mult) throw config_error(at + ": " + mb::quoted(text) + " is too large");
    return *number * mult;
}

config::TalosSettings load_settings(const std::filesystem::path& file) {
    config::TalosSettings s;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return s;
    YAML::Node root;
    try {
        root = YAML::LoadFile(file.string());
    } catch (const YAML::Exception& e) {
        throw config_error(file.string() + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    if (!root.IsMap()) return s;
    const YAML::Node section = root["talos"];
    if (!section || section.IsNull()) return s;
    if (!section.IsMap()) throw config_error(where(file, section, "") + ": expected a mapping");
    Loader loader{file, section, {}};
    s.visit(loader);
    for (const auto& kv : section) {
        const auto key = kv.first.as<std::string>();
        if (!loader.known.count(key)) {
            std::vector<std::string> names(loader.known.begin(), loader.known.end());
            std::string msg = where(file, kv.first, key) + ": unknown key";
            if (auto hint = closest_match(key, names)) msg += "; did you mean " + mb::quoted(*hint) + "?";
            throw config_error(msg);
        }
    }
    if (s.raw_source != "auto" && s.raw_source != "xz" && s.raw_source != "zst")
        throw config_error(file.string() + ": talos.raw_source must be auto, xz or zst");
    return s;
}

std::filesystem::path cache_directory(const config::TalosSettings& s, const std::filesystem::path& root) {
    if (!s.cache_directory.empty()) return s.cache_directory;
    return root / "cache" / "talos";
}

}  // namespace mb::talos
