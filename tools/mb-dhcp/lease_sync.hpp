#pragma once
// The lease file is shared: `mb-dhcp leases add|rm`, an operator restoring a dnsmasq file and the
// server all change it. Every change happens under the file's flock (config::FileLock). Before it
// writes, the server re-reads the file if it is not the version it last read or wrote (inode,
// size, mtime, ctime) and applies what the others added or removed to its table, so an edit made
// while the server is busy is merged, never overwritten.
#include <string>
#include <vector>

#include "background_writer.hpp"
#include "dhcp/lease_engine.hpp"

namespace mb::dhcp_tool {

class LeaseSync {
public:
    LeaseSync(std::string path, BackgroundWriter& writer) : path_(std::move(path)), writer_(writer) {}

    // Under the lock: loads the file into `engine` (expired leases skipped) with `declined`.
    void load(dhcp::LeaseEngine& engine, const std::vector<dhcp::Declined>& declined, int64_t now);

    // Under the lock: merges out-of-band edits into `engine`, then, if the table changed, hands the
    // new content to the writer, which releases the lock once the file is in place. Returns false
    // when another process holds the lock (try again soon); `wait` blocks for it instead (shutdown).
    bool sync(dhcp::LeaseEngine& engine, int64_t now, bool wait = false);

    const std::string& path() const { return path_; }

private:
    std::string path_;
    BackgroundWriter& writer_;
    // The file as last read or written by us, as text (a third of the memory of parsed leases);
    // parsed only when someone else changed the file.
    std::string disk_text_;
    std::vector<std::string> other_lines_;
    FileStamp stamp_;
    uint64_t generation_ = 0;  // of writer_.written(path_) last taken into account
};

}  // namespace mb::dhcp_tool
