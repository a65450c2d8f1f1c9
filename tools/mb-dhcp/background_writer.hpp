#pragma once
// Writes files off the event loop, so fsync never delays a reply. Per path only the newest pending
// content is kept: bursts of changes coalesce into one write. A job may carry a file lock, held
// until its content is in place (the lease file, shared with `mb-dhcp leases add|rm`).
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "config/file_lock.hpp"

namespace mb::dhcp_tool {

// Identity of one version of a file: a rewrite (new inode) or an in-place edit changes it.
struct FileStamp {
    ino_t inode = 0;
    off_t size = -1;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const FileStamp&) const = default;
};
// The stamp of `path` now; inode 0 / size -1 if it does not exist.
FileStamp stamp_of(const std::string& path);

class BackgroundWriter {
public:
    BackgroundWriter();
    ~BackgroundWriter();  // writes what is pending, then joins
    void submit(std::string path, std::string content, bool sync, std::unique_ptr<config::FileLock> lock = nullptr);

    struct Written {
        FileStamp stamp;
        uint64_t generation = 0;  // counts successful writes of this path
    };
    // The file as this writer last put it in place (generation 0: never).
    Written written(const std::string& path);

private:
    struct Job {
        std::string content;
        bool sync = true;
        std::unique_ptr<config::FileLock> lock;
    };
    void loop();
    std::mutex m_;
    std::condition_variable cv_;
    std::map<std::string, Job> pending_;
    std::map<std::string, Written> written_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace mb::dhcp_tool
