#include "upload.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"

namespace mb::tftp {

namespace {

PathError storage_error(int err) {
    if (err == ENOSPC || err == EDQUOT || err == EFBIG)
        return {ErrorCode::disk_full, "Disk full or allocation exceeded"};
    if (err == EEXIST) return {ErrorCode::file_exists, "File already exists"};
    if (err == EACCES || err == EPERM || err == EROFS)
        return {ErrorCode::access_violation, "Access violation: permission denied"};
    return {ErrorCode::undefined, "Cannot store file"};
}

std::string temp_name(const std::string& base) {
    uint64_t r = 0;
    if (::getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
        r = static_cast<uint64_t>(::getpid()) ^ reinterpret_cast<uintptr_t>(&r);
    return fmt::format(".{}.{:016x}.mbtftp-part", base, r);
}

}  // namespace

std::vector<std::string> normalize_write_dirs(const std::vector<std::string>& dirs) {
    std::vector<std::string> out;
    for (const auto& d : dirs) {
        auto n = normalize_name(d);
        if (auto* e = std::get_if<PathError>(&n))
            throw config_error(fmt::format("tftp.write_dirs: {}: {}", mb::quoted(d), e->message));
        out.push_back(std::get<std::string>(n));
    }
    return out;
}

bool write_allowed(const std::vector<std::string>& dirs, const std::string& relative) {
    for (const auto& d : dirs)
        if (relative.size() > d.size() + 1 && relative.compare(0, d.size(), d) == 0 && relative[d.size()] == '/')
            return true;
    return false;
}

std::variant<std::unique_ptr<Upload>, PathError> Upload::create(int root_fd, const std::string& relative,
                                                                bool overwrite) {
    const auto slash = relative.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : relative.substr(0, slash);
    const std::string base = slash == std::string::npos ? relative : relative.substr(slash + 1);
    int dir_fd = -1;
    if (dir == ".") {
        dir_fd = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
        if (dir_fd < 0) return storage_error(errno);
    } else {
        auto d = open_dir_beneath(root_fd, dir);
        if (auto* e = std::get_if<PathError>(&d)) return *e;
        dir_fd = std::get<int>(d);
    }
    struct stat st {};
    if (::fstatat(dir_fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        PathError e{ErrorCode::file_exists, "File already exists"};
        if (!S_ISREG(st.st_mode)) e = {ErrorCode::access_violation, "Access violation: not a regular file"};
        if (!S_ISREG(st.st_mode) || !overwrite) {
            ::close(dir_fd);
            return e;
        }
    }
    std::string temp;
    // Preferably an unnamed file (O_TMPFILE): nothing is visible, and nothing is left behind even
    // if the server dies mid-upload. File systems without it get a hidden named temp file.
    int fd = ::openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    for (int attempt = 0; attempt < 4 && fd < 0; ++attempt) {
        temp = temp_name(base);
        fd = ::openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        const int err = errno;
        ::close(dir_fd);
        return storage_error(err);
    }
    return std::unique_ptr<Upload>(new Upload(dir_fd, fd, std::move(temp), base, overwrite));
}

bool Upload::link_unnamed(const std::string& target) {
    if (::linkat(fd_, "", dir_fd_, target.c_str(), AT_EMPTY_PATH) == 0) return true;  // needs CAP_DAC_READ_SEARCH
    const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
    return ::linkat(AT_FDCWD, proc.c_str(), dir_fd_, target.c_str(), AT_SYMLINK_FOLLOW) == 0;
}

Upload::Upload(int dir_fd, int fd, std::string temp, std::string name, bool overwrite)
    : dir_fd_(dir_fd), fd_(fd), temp_(std::move(temp)), name_(std::move(name)), overwrite_(overwrite) {}

Upload::~Upload() {
    discard();
    if (dir_fd_ >= 0) ::close(dir_fd_);
}

void Upload::discard() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    if (!committed_ && !temp_.empty()) {
        ::unlinkat(dir_fd_, temp_.c_str(), 0);
        temp_.clear();
    }
}

bool Upload::write(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        written_ += static_cast<uint64_t>(n);
        bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return true;
}

std::optional<PathError> Upload::commit() {
    auto fail = [this](int err) -> std::optional<PathError> {
        discard();
        return storage_error(err);
    };
    if (::fsync(fd_) != 0) return fail(errno);
    if (temp_.empty() && !overwrite_) {
        // Unnamed (O_TMPFILE), no overwrite: linking straight to the target fails with EEXIST if
        // the name appeared meanwhile.
        if (!link_unnamed(name_)) return fail(errno);
    } else {
        if (temp_.empty()) {
            // Unnamed, overwrite: give it a hidden name, then rename it over the target.
            const std::string named = temp_name(name_);
            if (!link_unnamed(named)) return fail(errno);
            temp_ = named;
        }
        if (::renameat2(dir_fd_, temp_.c_str(), dir_fd_, name_.c_str(), overwrite_ ? 0u : RENAME_NOREPLACE) != 0)
            return fail(errno);
    }
    committed_ = true;
    ::close(fd_);
    fd_ = -1;
    ::fsync(dir_fd_);
    return std::nullopt;
}

}  // namespace mb::tftp
