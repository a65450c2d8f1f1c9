#pragma once
// Reads the `talos:` section of metal-boot.yaml into config::TalosSettings through its visit()
// field list, with file:line errors for unknown keys and wrong types.
#include <filesystem>
#include <string>

#include "config/talos_settings.hpp"

namespace mb::talos {

// A missing file yields the defaults; a malformed one throws config_error (exit 78).
config::TalosSettings load_settings(const std::filesystem::path& settings_file);
// Parses "10737418240", "10G", "10GiB", "512 MiB" into bytes; throws config_error.
uint64_t parse_size(const std::string& text, const std::string& where);
// The effective cache directory: cache_directory, or <root>/cache/talos.
std::filesystem::path cache_directory(const config::TalosSettings& s, const std::filesystem::path& root);

}  // namespace mb::talos
