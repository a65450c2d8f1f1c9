#include "tftp/path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "core/strings.hpp"

namespace mb::tftp {

namespace {

std::atomic<bool> g_force_fallback{false};
std::atomic<bool> g_no_openat2{false};

PathError not_found() {
    return {ErrorCode::file_not_found, "File not found"};
}
PathError denied(std::string why) {
    return {ErrorCode::access_violation, std::move(why)};
}

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() {
        int f = fd_;
        fd_ = -1;
        return f;
    }
    void reset(int fd) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

PathError from_errno(int err) {
    switch (err) {
        case ENOENT:
        case ENOTDIR: return not_found();
        case EXDEV:
        case ELOOP: return denied("Access violation: path leaves the served directory");
        case EACCES:
        case EPERM: return denied("Access violation: permission denied");
        case EMFILE:
        case ENFILE: return {ErrorCode::undefined, "Server busy, try again"};
        default: return {ErrorCode::undefined, "Cannot read file"};
    }
}

int open_fallback(int root_fd, const std::string& relative, bool follow, int flags) {
    // Walk directory by directory with O_NOFOLLOW; normalize_name() has removed "..", so every
    // step stays beneath root_fd. With `follow`, symlinks are refused too (we cannot confine them).
    (void)follow;
    const auto parts = split(relative, '/', true);
    if (parts.empty()) {
        errno = ENOENT;
        return -1;
    }
    Fd dir(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    if (dir.get() < 0) return -1;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        const int next = ::openat(dir.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            if (errno == ENOTDIR) errno = ELOOP;  // a symlink (or file) where a directory must be
            return -1;
        }
        dir.reset(next);
    }
    return ::openat(dir.get(), parts.back().c_str(), flags | O_NOFOLLOW);
}

constexpr int kReadFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

int open_confined(int root_fd, const std::string& relative, bool follow, int flags = kReadFlags) {
    if (!g_force_fallback.load() && !g_no_openat2.load()) {
        struct open_how how {};
        how.flags = static_cast<uint64_t>(flags);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (follow ? 0 : RESOLVE_NO_SYMLINKS);
        for (int attempt = 0; attempt < 4; ++attempt) {
            const long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
            if (fd >= 0) return static_cast<int>(fd);
            if (errno == EAGAIN || errno == EINTR) continue;
            if (errno != ENOSYS) return -1;
            g_no_openat2.store(true);
            break;
        }
        if (!g_no_openat2.load()) return -1;
    }
    return open_fallback(root_fd, relative, follow, flags);
}

}  // namespace

void force_openat2_fallback(bool force) {
    g_force_fallback.store(force);
}

std::variant<std::string, PathError> normalize_name(std::string_view name) {
    if (name.empty()) return denied("Empty file name");
    if (name.size() > kMaxNameLength) return denied("File name too long");
    std::string out;
    out.reserve(name.size());
    std::string component;
    auto flush = [&]() -> bool {
        if (component.empty() || component == ".") {
            component.clear();
            return true;
        }
        if (component == "..") return false;
        if (!out.empty()) out.push_back('/');
        out += component;
        component.clear();
        return true;
    };
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u == 0) return denied("File name contains a NUL byte");
        if (u < 0x20 || u == 0x7f) return denied("File name contains a control character");
        if (c == '/' || c == '\\') {
            if (!flush()) return denied("Access violation: '..' is not allowed");
        } else {
            component.push_back(c);
        }
    }
    if (!flush()) return denied("Access violation: '..' is not allowed");
    if (out.empty()) return denied("Not a file name");
    return out;
}

std::variant<OpenedFile, PathError> open_beneath(int root_fd, const std::string& relative, bool follow) {
    Fd fd(open_confined(root_fd, relative, follow));
    if (fd.get() < 0) return from_errno(errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return from_errno(errno);
    if (S_ISDIR(st.st_mode)) return not_found();
    if (!S_ISREG(st.st_mode)) return denied("Access violation: not a regular file");
    // O_NONBLOCK only guarded the open of FIFOs and stays set: reads of regular files ignore it
    // (FileSource::read clears it should a filesystem ever answer EAGAIN), which saves two fcntl
    // calls per request.
    return OpenedFile{fd.release(), static_cast<uint64_t>(st.st_size)};
}

bool exists_beneath(int root_fd, const std::string& relative) {
    auto r = open_beneath(root_fd, relative, false);
    if (auto* f = std::get_if<OpenedFile>(&r)) {
        ::close(f->fd);
        return true;
    }
    return false;
}

std::variant<int, PathError> open_dir_beneath(int root_fd, const std::string& relative) {
    const int fd = open_confined(root_fd, relative, false, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return from_errno(errno);
    return fd;
}

}  // namespace mb::tftp
