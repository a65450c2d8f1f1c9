#include "config/watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.hpp"

namespace mb::config {

namespace {
constexpr uint32_t kMask =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
}

TreeWatcher::TreeWatcher(const Tree& tree) : tree_(tree) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) throw io_error("inotify_init1", errno);
    rewatch();
}

TreeWatcher::~TreeWatcher() {
    if (fd_ >= 0) ::close(fd_);
}

void TreeWatcher::add_watch(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return;
    for (const auto& [wd, path] : watches_)
        if (path == dir) return;
    const int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask);
    if (wd >= 0) watches_[wd] = dir;
}

void TreeWatcher::rewatch() {
    add_watch(tree_.root());
    add_watch(tree_.devices_dir());
    add_watch(tree_.firmware_dir());
    add_watch(tree_.templates_dir());
    add_watch(tree_.state_root());
    std::error_code ec;
    // templates/ipxe/, templates/tftp/...: one level of per-tool template directories.
    if (std::filesystem::is_directory(tree_.templates_dir(), ec)) {
        for (const auto& entry : std::filesystem::directory_iterator(tree_.templates_dir(), ec))
            if (entry.is_directory()) add_watch(entry.path());
    }
    if (std::filesystem::is_directory(tree_.state_root(), ec)) {
        for (const auto& entry : std::filesystem::directory_iterator(tree_.state_root(), ec)) {
            if (!entry.is_directory()) continue;
            add_watch(entry.path());
            add_watch(entry.path() / "devices");
        }
    }
}

std::vector<std::string> TreeWatcher::read_changes() {
    std::vector<std::string> changes;
    alignas(inotify_event) char buf[16384];
    bool new_dirs = false;
    while (true) {
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n <= 0) break;
        for (char* p = buf; p < buf + n;) {
            auto* ev = reinterpret_cast<inotify_event*>(p);
            p += sizeof(inotify_event) + ev->len;
            if (ev->mask & IN_IGNORED) {
                watches_.erase(ev->wd);
                new_dirs = true;
                continue;
            }
            auto it = watches_.find(ev->wd);
            if (it == watches_.end()) continue;
            std::string name = ev->len ? std::string(ev->name) : std::string();
            if (!name.empty() && name[0] == '.') continue;
            if (ev->mask & IN_ISDIR) new_dirs = true;
            changes.push_back(tree_.display(name.empty() ? it->second : it->second / name));
        }
    }
    if (new_dirs || watches_.size() < 2) rewatch();
    return changes;
}

}  // namespace mb::config
