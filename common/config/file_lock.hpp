#pragma once
// flock(2)-based locks for read-modify-write of files that several processes change. The lock
// lives on a companion file ("<dir>/.<name>.lock"), never on the data file itself, because atomic
// writes replace the data file's inode.
#include <chrono>
#include <filesystem>
#include <memory>

namespace mb::config {

class FileLock {
public:
    enum class Mode { shared, exclusive };
    // Blocks until the lock is held. Throws mb::Error on failure to create or lock the lock file.
    explicit FileLock(const std::filesystem::path& data_file, Mode mode = Mode::exclusive);
    // Tries for at most `timeout`; throws mb::Error(kExitTempFail) if the lock stays busy.
    FileLock(const std::filesystem::path& data_file, Mode mode, std::chrono::milliseconds timeout);
    // Non-blocking: the held lock, or null if another process (or another FileLock) holds it.
    static std::unique_ptr<FileLock> try_acquire(const std::filesystem::path& data_file, Mode mode = Mode::exclusive);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

    static std::filesystem::path lock_path(const std::filesystem::path& data_file);

private:
    FileLock() = default;
    int fd_ = -1;
};

}  // namespace mb::config
