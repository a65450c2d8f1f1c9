#include "talos/digest.hpp"

#include <openssl/evp.h>

#include <cctype>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::talos {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
        throw Error(kExitSoftware, "OpenSSL SHA-256 init failed");
}

Sha256::~Sha256() {
    if (ctx_) EVP_MD_CTX_free(ctx_);
}

Sha256::Sha256(Sha256&& other) noexcept : ctx_(other.ctx_) {
    other.ctx_ = nullptr;
}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
    if (this != &other) {
        if (ctx_) EVP_MD_CTX_free(ctx_);
        ctx_ = other.ctx_;
        other.ctx_ = nullptr;
    }
    return *this;
}

void Sha256::update(const void* data, size_t size) {
    if (size > 0 && EVP_DigestUpdate(ctx_, data, size) != 1)
        throw Error(kExitSoftware, "OpenSSL SHA-256 update failed");
}

std::string Sha256::final_hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_, digest, &len) != 1) throw Error(kExitSoftware, "OpenSSL SHA-256 final failed");
    return to_hex(std::span<const uint8_t>(digest, len));
}

std::string sha256sum_line(std::string_view hex, std::string_view name) {
    return std::string(hex) + "  " + std::string(name) + "\n";
}

std::optional<SumLine> parse_sha256sum(std::string_view text) {
    const auto eol = text.find('\n');
    const auto line = trim(text.substr(0, eol));
    if (line.size() < 64) return std::nullopt;
    SumLine out;
    out.hex = to_lower(line.substr(0, 64));
    for (const char c : out.hex)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    auto rest = line.substr(64);
    if (!rest.empty()) {
        if (rest.front() != ' ') return std::nullopt;
        rest.remove_prefix(1);
        if (!rest.empty() && (rest.front() == ' ' || rest.front() == '*')) rest.remove_prefix(1);
        out.name = std::string(rest);
    }
    return out;
}

}  // namespace mb::talos
