#include "http/static_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/error.hpp"
#include "http/conditional.hpp"
#include "http/mime.hpp"
#include "http/wire.hpp"

namespace mb::http {

namespace {

std::atomic<bool> g_no_openat2{false};

// Reads the byte ranges of a file one after another, framed as multipart/byteranges.
class ByteRangesStream : public StreamBody {
public:
    ByteRangesStream(std::shared_ptr<const OpenFile> file, std::vector<ByteRange> ranges, std::string boundary,
                     std::string type, uint64_t size)
        : file_(std::move(file)), ranges_(std::move(ranges)), boundary_(std::move(boundary)),
          type_(std::move(type)), size_(size) {}

    void pull(Deliver deliver) override {
        constexpr size_t kChunk = 256 * 1024;
        if (index_ >= ranges_.size()) {
            if (!trailer_done_) {
                trailer_done_ = true;
                deliver(true, byteranges_trailer(boundary_));
            } else {
                deliver(true, {});
            }
            return;
        }
        const auto& r = ranges_[index_];
        std::string out;
        if (!head_done_) {
            out = byteranges_part_head(boundary_, type_, r, size_, index_ == 0);
            head_done_ = true;
            pos_ = r.first;
        }
        const uint64_t left = r.last + 1 - pos_;
        const size_t want = static_cast<size_t>(std::min<uint64_t>(left, kChunk));
        const size_t base = out.size();
        out.resize(base + want);
        ssize_t n;
        do {
            n = ::pread(file_->fd(), out.data() + base, want, static_cast<off_t>(pos_));
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            deliver(false, {});
            return;
        }
        out.resize(base + static_cast<size_t>(n));
        pos_ += static_cast<uint64_t>(n);
        if (pos_ > r.last) {
            ++index_;
            head_done_ = false;
        }
        deliver(true, std::move(out));
    }

private:
    std::shared_ptr<const OpenFile> file_;
    std::vector<ByteRange> ranges_;
    std::string boundary_, type_;
    uint64_t size_;
    size_t index_ = 0;
    uint64_t pos_ = 0;
    bool head_done_ = false;
    bool trailer_done_ = false;
};

Response status_only(int status) {
    return text_response(status, std::string(reason_phrase(status)) + "\n");
}

}  // namespace

StaticFiles::StaticFiles(std::string root) : root_(std::move(root)) {
    root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0) throw no_input("static root " + root_ + ": " + std::strerror(errno));
    char buf[PATH_MAX];
    if (::realpath(root_.c_str(), buf)) real_root_ = buf;
}

StaticFiles::~StaticFiles() {
    if (root_fd_ >= 0) ::close(root_fd_);
}

int StaticFiles::open_beneath(std::string_view relative) const {
    std::string rel(relative);
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    if (rel.empty() || rel.find('\0') != std::string::npos) {
        errno = ENOENT;
        return -1;
    }
    if (!g_no_openat2.load(std::memory_order_relaxed)) {
        open_how how{};
        how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        const long fd = ::syscall(SYS_openat2, root_fd_, rel.c_str(), &how, sizeof how);
        if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
        g_no_openat2 = true;
    }
    // Fallback: the target has no ".." segments (parse_target), so only symlinks can escape;
    // check where the descriptor actually points.
    const int fd = ::openat(root_fd_, rel.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return -1;
    char link[64], buf[PATH_MAX];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t n = ::readlink(link, buf, sizeof buf - 1);
    if (n <= 0 || real_root_.empty()) {
        ::close(fd);
        errno = EXDEV;
        return -1;
    }
    const std::string_view target(buf, static_cast<size_t>(n));
    if (target.substr(0, real_root_.size()) != real_root_ ||
        (target.size() > real_root_.size() && target[real_root_.size()] != '/' && real_root_ != "/")) {
        ::close(fd);
        errno = EXDEV;
        return -1;
    }
    return fd;
}

Response StaticFiles::serve(const Request& req, std::string_view relative) const {
    if (req.method != "GET" && req.method != "HEAD") {
        auto res = status_only(405);
        res.headers.set("Allow", "GET, HEAD");
        return res;
    }
    const int fd = open_beneath(relative);
    if (fd < 0) return status_only(errno == EACCES ? 403 : 404);
    auto file = std::make_shared<OpenFile>(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return status_only(404);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    const std::string etag = make_etag(st.st_ino, size, mtime_ns);
    const std::time_t mtime = st.st_mtim.tv_sec;
    const std::string type(content_type_for(relative));

    Response res;
    res.headers.set("ETag", etag);
    res.headers.set("Last-Modified", http_date(mtime));
    res.headers.set("Accept-Ranges", "bytes");
    if (const int pre = evaluate_preconditions(req, etag, mtime)) {
        res.status = pre;
        if (pre == 412) res.body = "Precondition Failed\n";
        return res;
    }
    res.headers.set("Content-Type", type);

    RangeDecision range;
    if (auto h = req.header("Range"); h && if_range_allows(req, etag, mtime)) range = parse_range(*h, size);
    if (range.kind == RangeDecision::unsatisfiable) {
        res.status = 416;
        res.headers.set("Content-Range", fmt::format("bytes */{}", size));
        res.headers.set("Content-Type", "text/plain; charset=utf-8");
        res.body = "Range Not Satisfiable\n";
        return res;
    }
    if (range.kind == RangeDecision::partial && range.ranges.size() == 1) {
        const auto& r = range.ranges[0];
        res.status = 206;
        res.headers.set("Content-Range", fmt::format("bytes {}-{}/{}", r.first, r.last, size));
        res.file = FileBody{std::string(relative), r.first, r.length(), file};
        return res;
    }
    if (range.kind == RangeDecision::partial) {
        const std::string boundary = fmt::format("mb{:016x}", static_cast<uint64_t>(mtime_ns) ^ st.st_ino);
        res.status = 206;
        res.headers.set("Content-Type", "multipart/byteranges; boundary=" + boundary);
        res.content_length = byteranges_length(boundary, type, range.ranges, size);
        res.stream = std::make_shared<ByteRangesStream>(file, range.ranges, boundary, type, size);
        return res;
    }
    res.status = 200;
    res.file = FileBody{std::string(relative), 0, size, file};
    return res;
}

}  // namespace mb::http
