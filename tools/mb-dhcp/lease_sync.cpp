#include "lease_sync.hpp"

#include <chrono>

#include "dhcp/lease_file.hpp"
#include "log/log.hpp"
#include "store.hpp"

namespace mb::dhcp_tool {

namespace {

constexpr std::chrono::seconds kLockWait{10};

dhcp::LeaseFile parse_leases(const std::string& path, const std::string& text) {
    std::vector<std::string> warnings;
    auto file = dhcp::parse_lease_file(text, &warnings);
    for (const auto& w : warnings) log::warn("{}: {} (line skipped)", path, w);
    return file;
}

}  // namespace

void LeaseSync::load(dhcp::LeaseEngine& engine, const std::vector<dhcp::Declined>& declined, int64_t now) {
    config::FileLock lock(path_, config::FileLock::Mode::exclusive, kLockWait);
    disk_text_ = read_text(path_);
    auto file = parse_leases(path_, disk_text_);
    engine.load(file.leases, declined, now);
    other_lines_ = std::move(file.other_lines);
    stamp_ = stamp_of(path_);
    generation_ = writer_.written(path_).generation;
}

bool LeaseSync::sync(dhcp::LeaseEngine& engine, int64_t now, bool wait) {
    auto lock = wait ? std::make_unique<config::FileLock>(path_, config::FileLock::Mode::exclusive, kLockWait)
                     : config::FileLock::try_acquire(path_);
    if (!lock) return false;
    // our own last write (finished: the writer released the lock after recording it)
    if (auto w = writer_.written(path_); w.generation != generation_) {
        generation_ = w.generation;
        stamp_ = w.stamp;
    }
    if (const FileStamp now_stamp = stamp_of(path_); !(now_stamp == stamp_)) {
        std::string text = read_text(path_);
        auto file = parse_leases(path_, text);
        const auto before = dhcp::parse_lease_file(disk_text_).leases;
        const auto c = engine.apply_external(before, file.leases, now);
        if (c.added || c.removed)
            log::info("{} changed on disk: {} lease(s) added or changed, {} removed; {} lease(s) now", path_, c.added,
                      c.removed, engine.size());
        disk_text_ = std::move(text);
        other_lines_ = std::move(file.other_lines);
        stamp_ = now_stamp;
    }
    if (!engine.dirty()) return true;
    dhcp::LeaseFile f{engine.leases(), other_lines_};
    disk_text_ = dhcp::format_lease_file(f);
    writer_.submit(path_, disk_text_, true, std::move(lock));
    engine.clear_dirty();
    return true;
}

}  // namespace mb::dhcp_tool
