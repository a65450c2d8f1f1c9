#include "efi/tls_ca.hpp"

#include <fmt/format.h>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "efi/bytes.hpp"

namespace mb::efi {

const Guid kTlsCaCertificateGuid = *Guid::parse_text("fd2340d0-3dab-4349-a6c7-3b4f12b56a87");
const Guid kCertX509Guid = *Guid::parse_text("a5c059a1-94e4-4aa7-87b5-ab155c2bf072");
const Guid kMetalBootOwnerGuid = *Guid::parse_text("423e8c88-ef36-4703-b454-e322f4cd9bf5");

std::vector<std::vector<uint8_t>> pem_certificates(std::string_view pem, std::string_view source) {
    constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----", kEnd = "-----END CERTIFICATE-----";
    std::vector<std::vector<uint8_t>> out;
    size_t pos = 0;
    while ((pos = pem.find(kBegin, pos)) != std::string_view::npos) {
        pos += kBegin.size();
        auto end = pem.find(kEnd, pos);
        size_t n = out.size() + 1;
        if (end == std::string_view::npos)
            throw data_error(fmt::format("{}: certificate {} has no END CERTIFICATE line", source, n));
        auto der = base64_decode(pem.substr(pos, end - pos));
        // DER of a certificate: a SEQUENCE (0x30) with a long-form length
        if (!der || der->size() < 64 || static_cast<uint8_t>((*der)[0]) != 0x30)
            throw data_error(fmt::format("{}: certificate {} is not base64 of a DER certificate", source, n));
        out.emplace_back(der->begin(), der->end());
        pos = end + kEnd.size();
    }
    if (out.empty()) throw data_error(fmt::format("{}: no -----BEGIN CERTIFICATE----- block", source));
    return out;
}

std::vector<uint8_t> tls_ca_signature_lists(const std::vector<std::vector<uint8_t>>& der_certificates) {
    std::vector<uint8_t> out;
    for (const auto& der : der_certificates) {
        const auto signature_size = static_cast<uint32_t>(16 + der.size());
        out.insert(out.end(), kCertX509Guid.bytes().begin(), kCertX509Guid.bytes().end());
        append32(out, 16 + 4 + 4 + 4 + signature_size);  // SignatureListSize
        append32(out, 0);                                // SignatureHeaderSize
        append32(out, signature_size);                   // SignatureSize
        out.insert(out.end(), kMetalBootOwnerGuid.bytes().begin(), kMetalBootOwnerGuid.bytes().end());
        out.insert(out.end(), der.begin(), der.end());
    }
    return out;
}

}  // namespace mb::efi
