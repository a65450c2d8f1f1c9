#pragma once
// Pure: where a chunk of a disk image holds whole all-zero blocks. The cache writes those as holes
// (like `zstd -d` and `cp --sparse`): no page-cache copy, no disk space, and readers and the hasher
// skip them. Blocks are aligned to file offsets, so the holes line up with file-system blocks.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mb::talos {

struct ByteRun {
    size_t offset = 0;  // within the chunk
    size_t length = 0;
    bool zero = false;
    bool operator==(const ByteRun&) const = default;
};

// True when all `size` bytes are zero.
bool all_zero(const char* data, size_t size);

// Splits the chunk `data` that starts at file offset `base` into alternating runs: `zero` runs are
// made of aligned `block`-sized all-zero blocks (the first and last block may be cut by the chunk's
// edges), the others hold everything else. Adjacent runs of the same kind are merged; an empty chunk
// gives no runs. `block` must be a power of two.
std::vector<ByteRun> zero_block_runs(const char* data, size_t size, uint64_t base, size_t block);

}  // namespace mb::talos
