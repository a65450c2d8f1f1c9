#include "talos/settings_load.hpp"

#include "config/loader.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::talos {

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
    // The one config loader: file:line: key errors, unknown keys, types and ranges.
    config::LoadOptions options;
    options.include_state = false;
    options.include_backend = false;
    return config::load_tree(config::Tree(file.parent_path()), options)->settings.talos;
}

std::filesystem::path cache_directory(const config::TalosSettings& s, const std::filesystem::path& root) {
    if (!s.cache_directory.empty()) {
        const std::filesystem::path dir(s.cache_directory);
        return dir.is_absolute() ? dir : root / dir;
    }
    return root / "cache" / "talos";
}

}  // namespace mb::talos
