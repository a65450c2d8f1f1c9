#include "talos/sparse_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mb::talos {

Extent extent_at(int fd, uint64_t pos, uint64_t end) {
    if (pos >= end) return {true, 0};
    const auto p = static_cast<off_t>(pos);
    const off_t data = ::lseek(fd, p, SEEK_DATA);
    if (data < 0) {
        // ENXIO: a hole up to the end of the file, or `pos` is at or past the end; beyond the end
        // report data, whose read then finds the file short
        const off_t eof = errno == ENXIO ? ::lseek(fd, 0, SEEK_END) : -1;
        if (eof > p) return {false, std::min<uint64_t>(end, static_cast<uint64_t>(eof)) - pos};
        return {true, end - pos};  // or no SEEK_DATA on this file system: treat as data
    }
    if (data > p) return {false, std::min<uint64_t>(end, static_cast<uint64_t>(data)) - pos};
    const off_t hole = ::lseek(fd, p, SEEK_HOLE);
    if (hole <= p) return {true, end - pos};
    return {true, std::min<uint64_t>(end, static_cast<uint64_t>(hole)) - pos};
}

bool read_sparse(int fd, char* out, size_t size, uint64_t offset, bool out_is_zeroed) {
    const uint64_t end = offset + size;
    uint64_t pos = offset;
    while (pos < end) {
        const auto ext = extent_at(fd, pos, end);
        char* dst = out + (pos - offset);
        if (!ext.data) {
            if (!out_is_zeroed) std::memset(dst, 0, ext.length);
            pos += ext.length;
            continue;
        }
        const ssize_t r = ::pread(fd, dst, ext.length, static_cast<off_t>(pos));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        pos += static_cast<uint64_t>(r);
    }
    return true;
}

}  // namespace mb::talos
