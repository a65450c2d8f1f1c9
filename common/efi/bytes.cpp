#include "efi/bytes.hpp"

#include <fmt/format.h>

#include <array>

namespace mb::efi {

namespace {
std::array<uint32_t, 256> make_table() {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}
}  // namespace

uint32_t crc32(std::span<const uint8_t> data, uint32_t crc) {
    static const std::array<uint32_t, 256> table = make_table();
    crc = ~crc;
    for (uint8_t b : data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

std::string hex_offset(uint64_t offset) {
    return fmt::format("{:#x}", offset);
}

}  // namespace mb::efi
