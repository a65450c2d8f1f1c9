#include "tftp/gso.hpp"

#include <algorithm>

namespace mb::tftp {

size_t gso_segments(uint32_t blksize) {
    const size_t packet = 4 + static_cast<size_t>(blksize);
    return std::clamp<size_t>(kGsoMaxBytes / packet, 1, kGsoMaxSegments);
}

}  // namespace mb::tftp
