#pragma once
// Reading files whose zero blocks are holes (the cache's images, see zero_runs.hpp): where the data
// and the holes are (SEEK_DATA / SEEK_HOLE), and reads that never read a hole.
#include <cstddef>
#include <cstdint>

namespace mb::talos {

struct Extent {
    bool data = true;
    uint64_t length = 0;  // > 0 whenever pos < end
};

// The extent (data or hole) at `pos`, clipped to `end`. File systems without SEEK_DATA report data,
// and so does a `pos` at or past the end of the file (its read then comes up short).
Extent extent_at(int fd, uint64_t pos, uint64_t end);

// Reads [offset, offset + size) into `out`; holes are not read but filled with zeros (unless `out`
// is zeroed already). False on a read error or a file shorter than the range.
bool read_sparse(int fd, char* out, size_t size, uint64_t offset, bool out_is_zeroed = false);

}  // namespace mb::talos
