#include "config/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

#include "core/error.hpp"

namespace mb::config {

std::filesystem::path FileLock::lock_path(const std::filesystem::path& data_file) {
    std::string name = ".";  // (not "." + ...: GCC 12 -Wrestrict false positive)
    name += data_file.filename().string();
    name += ".lock";
    return data_file.parent_path() / name;
}

namespace {
int open_lock_file(const std::filesystem::path& data_file) {
    const auto path = FileLock::lock_path(data_file);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw io_error("cannot open lock file " + path.string(), errno);
    return fd;
}
}  // namespace

FileLock::FileLock(const std::filesystem::path& data_file, Mode mode) : fd_(open_lock_file(data_file)) {
    const int op = mode == Mode::exclusive ? LOCK_EX : LOCK_SH;
    while (::flock(fd_, op) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd_);
        throw io_error("cannot lock " + data_file.string(), err);
    }
}

FileLock::FileLock(const std::filesystem::path& data_file, Mode mode, std::chrono::milliseconds timeout)
    : fd_(open_lock_file(data_file)) {
    const int op = (mode == Mode::exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(1);
    while (::flock(fd_, op) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            const int err = errno;
            ::close(fd_);
            throw io_error("cannot lock " + data_file.string(), err);
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::close(fd_);
            throw Error(kExitTempFail, data_file.string() + " is locked by another process; try again");
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

std::unique_ptr<FileLock> FileLock::try_acquire(const std::filesystem::path& data_file, Mode mode) {
    std::unique_ptr<FileLock> lock(new FileLock());
    lock->fd_ = open_lock_file(data_file);
    const int op = (mode == Mode::exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    while (::flock(lock->fd_, op) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return nullptr;  // the destructor closes the fd
        throw io_error("cannot lock " + data_file.string(), errno);
    }
    return lock;
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace mb::config
