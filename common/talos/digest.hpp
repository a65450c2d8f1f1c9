#pragma once
// Incremental SHA-256 (OpenSSL EVP) for data that arrives in chunks, plus the sha256sum(1) line
// format used by the cache's sidecar files.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace mb::talos {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // Lower-case hex digest; the object must not be updated afterwards.
    std::string final_hex();

private:
    evp_md_ctx_st* ctx_;
};

// "<hex>  <name>\n" as sha256sum(1) writes it.
std::string sha256sum_line(std::string_view hex, std::string_view name);
// Parses the first line of a sha256sum(1) file: the hex digest (lower-cased) and the file name.
struct SumLine {
    std::string hex;
    std::string name;
};
std::optional<SumLine> parse_sha256sum(std::string_view text);

}  // namespace mb::talos
