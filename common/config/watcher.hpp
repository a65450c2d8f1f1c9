#pragma once
// Watches the config tree with inotify: metal-boot.yaml, devices/, firmware/, templates/ (and its
// per-tool subdirectories) and the state/<tool>/devices/ directories. The file descriptor is meant for an event loop (the daemon
// wraps it in an asio stream_descriptor); read_changes() drains it without blocking.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/tree.hpp"

namespace mb::config {

class TreeWatcher {
public:
    explicit TreeWatcher(const Tree& tree);
    ~TreeWatcher();
    TreeWatcher(const TreeWatcher&) = delete;
    TreeWatcher& operator=(const TreeWatcher&) = delete;

    int fd() const { return fd_; }
    // Paths changed since the last call (relative to the root); empty if nothing is pending.
    // Temp files and lock files (names starting with '.') are left out. Directories that
    // appeared are added to the watch.
    std::vector<std::string> read_changes();

private:
    void add_watch(const std::filesystem::path& dir);
    void rewatch();

    Tree tree_;
    int fd_ = -1;
    std::map<int, std::filesystem::path> watches_;
};

}  // namespace mb::config
