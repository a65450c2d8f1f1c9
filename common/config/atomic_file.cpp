#include "config/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "core/error.hpp"

namespace mb::config {
namespace {

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string temp_name(const std::filesystem::path& path) {
    static thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(::getpid()));
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".%d.%08llx.tmp", ::getpid(), static_cast<unsigned long long>(rng() & 0xffffffff));
    return "." + path.filename().string() + suffix;
}

}  // namespace

void fsync_directory(const std::filesystem::path& dir) {
    Fd d{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd < 0) throw io_error("cannot open directory " + dir.string(), errno);
    if (::fsync(d.fd) != 0 && errno != EINVAL) throw io_error("cannot fsync directory " + dir.string(), errno);
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
    const auto dir = path.parent_path();
    if (!dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) throw Error(kExitCantCreate, "cannot create directory " + dir.string() + ": " + ec.message());
    }
    const auto tmp = (dir.empty() ? std::filesystem::path(".") : dir) / temp_name(path);
    Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)};
    if (f.fd < 0) throw Error(kExitCantCreate, "cannot create " + tmp.string() + ": " + std::strerror(errno));
    size_t off = 0;
    while (off < content.size()) {
        const ssize_t n = ::write(f.fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::unlink(tmp.c_str());
            throw io_error("cannot write " + tmp.string(), err);
        }
        off += static_cast<size_t>(n);
    }
    if (::fchmod(f.fd, mode) != 0 || ::fsync(f.fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw io_error("cannot fsync " + tmp.string(), err);
    }
    ::close(f.fd);
    f.fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw io_error("cannot rename " + tmp.string() + " to " + path.string(), err);
    }
    fsync_directory(dir);
}

std::optional<std::string> read_file_if_exists(const std::filesystem::path& path) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        if (errno == EACCES) throw Error(kExitNoInput, "cannot read " + path.string() + ": " + std::strerror(errno));
        throw io_error("cannot open " + path.string(), errno);
    }
    std::string out;
    char buf[65536];
    while (true) {
        const ssize_t n = ::read(f.fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EISDIR) throw Error(kExitNoInput, path.string() + " is a directory");
            throw io_error("cannot read " + path.string(), errno);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

std::string read_file(const std::filesystem::path& path) {
    auto content = read_file_if_exists(path);
    if (!content) throw no_input(path.string() + ": no such file");
    return *content;
}

}  // namespace mb::config
