#include "tftp/source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace mb::tftp {

size_t MemorySource::read(uint64_t offset, std::span<uint8_t> out) const {
    if (offset >= bytes_->size()) return 0;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), bytes_->size() - offset));
    std::memcpy(out.data(), bytes_->data() + offset, n);
    return n;
}

size_t ReadAheadSource::read(uint64_t offset, std::span<uint8_t> out) const {
    const uint64_t size = inner_->size();
    if (offset >= size || out.empty()) return 0;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), size - offset));
    if (want >= chunk_ || direct_left_ > 0) {
        if (direct_left_ > 0) direct_left_--;
        inner_reads_++;
        return inner_->read(offset, out.first(want));
    }
    if (offset < buf_offset_ || offset + want > buf_offset_ + buf_.size()) {
        buf_.resize(static_cast<size_t>(std::min<uint64_t>(chunk_, size - offset)));
        inner_reads_++;
        buf_.resize(inner_->read(offset, buf_));
        buf_offset_ = offset;
        if (offset + want > buf_offset_ + buf_.size()) return 0;  // cannot happen: sizes are fixed at open
    }
    std::memcpy(out.data(), buf_.data() + (offset - buf_offset_), want);
    return want;
}

FileSource::~FileSource() {
    if (fd_ >= 0) ::close(fd_);
}

size_t FileSource::read(uint64_t offset, std::span<uint8_t> out) const {
    if (offset >= size_) return 0;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), size_ - offset));
    size_t done = 0;
    while (done < want) {
        const ssize_t n = ::pread(fd_, out.data() + done, want - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN && !blocking_) {
                // Opened with O_NONBLOCK (see open_beneath), which regular files normally ignore;
                // a filesystem that honours it gets blocking reads from here on.
                blocking_ = true;
                const int flags = ::fcntl(fd_, F_GETFL);
                if (flags >= 0 && ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) == 0) continue;
            }
            throw io_error("read of served file failed", errno);
        }
        if (n == 0) {
            // Truncated while served: pad with zeros so the announced size stays exact.
            std::memset(out.data() + done, 0, want - done);
            return want;
        }
        done += static_cast<size_t>(n);
    }
    return done;
}

std::vector<uint8_t> to_netascii(std::span<const uint8_t> bytes) {
    std::vector<uint8_t> out;
    out.reserve(bytes.size() + bytes.size() / 16);
    for (uint8_t c : bytes) {
        if (c == '\n') {
            out.push_back('\r');
            out.push_back('\n');
        } else if (c == '\r') {
            out.push_back('\r');
            out.push_back(0);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::vector<uint8_t> read_all(const DataSource& source) {
    std::vector<uint8_t> out(static_cast<size_t>(source.size()));
    size_t got = 0;
    while (got < out.size()) {
        const size_t n = source.read(got, std::span<uint8_t>(out).subspan(got));
        if (n == 0) break;
        got += n;
    }
    out.resize(got);
    return out;
}

}  // namespace mb::tftp
