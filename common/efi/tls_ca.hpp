#pragma once
// The CA certificates UEFI HTTPS boot trusts: EDK2's HttpDxe reads them from the variable
// TlsCaCertificate (gEfiTlsCaCertificateGuid), an EFI_SIGNATURE_LIST per X.509 certificate (DER).
// Without that variable every https:// boot fails the server-certificate check. Pure.
#include <cstdint>
#include <string_view>
#include <vector>

#include "efi/guid.hpp"

namespace mb::efi {

extern const Guid kTlsCaCertificateGuid;  // fd2340d0-3dab-4349-a6c7-3b4f12b56a87
inline constexpr std::u16string_view kTlsCaCertificateName = u"TlsCaCertificate";
extern const Guid kCertX509Guid;        // a5c059a1-94e4-4aa7-87b5-ab155c2bf072 (EFI_CERT_X509_GUID)
extern const Guid kMetalBootOwnerGuid;  // SignatureOwner of the entries Metal Boot writes

// The DER bytes of every "-----BEGIN CERTIFICATE-----" block of a PEM text, in order. Throws
// mb::Error (65) naming `source` and the block number when a block is not base64 of a DER
// SEQUENCE, or when there is no certificate at all.
std::vector<std::vector<uint8_t>> pem_certificates(std::string_view pem, std::string_view source);

// TlsCaCertificate's data: one EFI_SIGNATURE_LIST (type X.509, no header, one entry owned by
// kMetalBootOwnerGuid) per certificate.
std::vector<uint8_t> tls_ca_signature_lists(const std::vector<std::vector<uint8_t>>& der_certificates);

}  // namespace mb::efi
