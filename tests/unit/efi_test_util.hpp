#pragma once
// Helpers shared by the efi_* unit tests: fixture loading and SHA-256 (OpenSSL EVP).
#include <openssl/evp.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

namespace mb::efi::test {

using mb::test::fixtures_dir;

// The file's bytes; throws (failing the test case with the path) when it cannot be opened.
inline std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::vector<uint8_t> fixture(const std::string& name) {
    return read_bytes(fixtures_dir() + "/efi/" + name);
}

inline std::string fixture_text(const std::string& name) {
    auto b = fixture(name);
    return std::string(b.begin(), b.end());
}

inline std::string sha256_hex(const std::vector<uint8_t>& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < len; ++i) {
        s.push_back(hex[md[i] >> 4]);
        s.push_back(hex[md[i] & 15]);
    }
    return s;
}

}  // namespace mb::efi::test
