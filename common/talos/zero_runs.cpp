#include "talos/zero_runs.hpp"

#include <cstring>

namespace mb::talos {

bool all_zero(const char* data, size_t size) {
    // OR 8 words at a time (vectorised by the compiler), then the tail
    size_t i = 0;
    uint64_t acc = 0;
    for (; i + 64 <= size; i += 64) {
        uint64_t w[8];
        std::memcpy(w, data + i, sizeof w);
        acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
        if (acc) return false;
    }
    for (; i < size; ++i) acc |= static_cast<unsigned char>(data[i]);
    return acc == 0;
}

std::vector<ByteRun> zero_block_runs(const char* data, size_t size, uint64_t base, size_t block) {
    std::vector<ByteRun> runs;
    size_t off = 0;
    while (off < size) {
        // this block ends at the next multiple of `block` in file offsets, or at the chunk's end
        const uint64_t pos = base + off;
        const size_t to_edge = static_cast<size_t>(block - (pos & (block - 1)));
        const size_t n = to_edge < size - off ? to_edge : size - off;
        const bool zero = all_zero(data + off, n);
        if (!runs.empty() && runs.back().zero == zero)
            runs.back().length += n;
        else
            runs.push_back({off, n, zero});
        off += n;
    }
    return runs;
}

}  // namespace mb::talos
