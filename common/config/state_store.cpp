#include "config/state_store.hpp"

#include <algorithm>

#include "config/atomic_file.hpp"
#include "config/file_lock.hpp"
#include "core/error.hpp"

namespace mb::config {

StateStore::StateStore(const Tree& tree, std::string tool) : dir_(tree.state_dir(tool)) {}

std::filesystem::path StateStore::path(std::string_view name) const {
    std::filesystem::path rel(name);
    if (name.empty() || rel.is_absolute()) throw usage_error("invalid state document name '" + std::string(name) + "'");
    for (const auto& part : rel)
        if (part == "..") throw usage_error("invalid state document name '" + std::string(name) + "'");
    return dir_ / rel;
}

nlohmann::json StateStore::read(std::string_view name) const {
    const auto p = path(name);
    auto content = read_file_if_exists(p);
    if (!content || content->empty()) return nlohmann::json::object();
    try {
        return nlohmann::json::parse(*content);
    } catch (const nlohmann::json::parse_error& e) {
        throw data_error(p.string() + ": invalid JSON at byte " + std::to_string(e.byte));
    }
}

void StateStore::write(std::string_view name, const nlohmann::json& doc) const {
    write_file_atomic(path(name), doc.dump(2) + "\n");
}

nlohmann::json StateStore::update(std::string_view name, const std::function<void(nlohmann::json&)>& change) const {
    const auto p = path(name);
    FileLock lock(p, FileLock::Mode::exclusive);
    nlohmann::json doc = read(name);
    change(doc);
    write_file_atomic(p, doc.dump(2) + "\n");
    return doc;
}

bool StateStore::remove(std::string_view name) const {
    const auto p = path(name);
    FileLock lock(p, FileLock::Mode::exclusive);
    std::error_code ec;
    const bool removed = std::filesystem::remove(p, ec);
    if (ec) throw io_error("cannot remove " + p.string() + ": " + ec.message());
    if (removed) fsync_directory(p.parent_path());
    return removed;
}

std::vector<std::string> StateStore::list(std::string_view subdir) const {
    std::vector<std::string> out;
    const auto d = subdir.empty() ? dir_ : path(subdir);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(d, ec)) {
        const auto name = entry.path().filename().string();
        if (!entry.is_regular_file() || name.starts_with(".")) continue;
        out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace mb::config
