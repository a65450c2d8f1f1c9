#include "config/tree.hpp"

#include <cstdlib>

namespace mb::config {

Tree::Tree(std::filesystem::path root) : root_(std::move(root)) {}

Tree Tree::from_option(const std::string& root_option) {
    if (!root_option.empty()) return Tree(root_option);
    if (const char* env = std::getenv("MB_ROOT"); env && *env) return Tree(env);
    return Tree(kDefaultRoot);
}

std::filesystem::path Tree::device_file(const device::Mac& mac) const {
    return devices_dir() / (mac.dashed() + ".yaml");
}

std::filesystem::path Tree::firmware_json(const device::Mac& mac) const {
    return firmware_dir() / (mac.dashed() + ".json");
}

std::filesystem::path Tree::resolve(const std::string& path) const {
    std::filesystem::path p(path);
    if (p.is_absolute()) return p;
    return root_ / p;
}

std::string Tree::display(const std::filesystem::path& path) const {
    std::error_code ec;
    auto rel = std::filesystem::relative(path, root_, ec);
    if (ec || rel.empty() || rel.native().starts_with("..")) return path.string();
    return rel.string();
}

}  // namespace mb::config
