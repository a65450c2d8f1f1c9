#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "efi/bytes.hpp"
#include "efi/tls_ca.hpp"

using namespace mb::efi;

namespace {

// A self-signed P-256 CA made for this test (openssl req -x509); its DER is 415 bytes.
const std::string kPem = R"(subject=CN = Metal Boot unit-test CA
-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUHtZ7DIbiYsX1eQ2E0e3+NXF/3nYwCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXTWV0YWwgQm9vdCB1bml0LXRlc3QgQ0EwIBcNMjYxMjA3MDAy
MzU3WhgPMjEyNjExMTMwMDIzNTdaMCIxIDAeBgNVBAMMF01ldGFsIEJvb3QgdW5p
dC10ZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaeV08j4oYZ0gLO3B
pkx8cS1vwe/FhyFS+fgajomPNqMhRTXJwjOgTDgN/lhVeNtPkCFhmc779eOQ0quJ
Ky2ZSKNTMFEwHQYDVR0OBBYEFJ7Dfx+TX4hoxtxaM0PHGZK/klRkMB8GA1UdIwQY
MBaAFJ7Dfx+TX4hoxtxaM0PHGZK/klRkMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZI
zj0EAwIDSAAwRQIhAKFohboRM9+fu02jkkLUEVBYkXy3w8vJ0KMZwWSALp3YAiBm
ukE6sQAuCgw+TVzQZjqBJ0J/xSOLO2PUDVbEp5uHWA==
-----END CERTIFICATE-----
)";

}  // namespace

TEST_CASE("PEM bundles: every CERTIFICATE block, DER, errors naming the file and block", "[efi][tls]") {
    auto one = pem_certificates(kPem, "ca.pem");
    REQUIRE(one.size() == 1);
    CHECK(one[0].size() == 415);
    CHECK(one[0][0] == 0x30);
    auto two = pem_certificates(kPem + "# comment\n" + kPem, "ca.pem");
    CHECK(two.size() == 2);
    CHECK(two[1] == one[0]);
    auto fails = [](const std::string& text, const std::string& needle) {
        INFO(needle);
        try {
            pem_certificates(text, "bundle.pem");
            FAIL("accepted");
        } catch (const mb::Error& e) {
            CHECK(e.code() == mb::kExitDataErr);
            CHECK_THAT(e.what(), Catch::Contains("bundle.pem") && Catch::Contains(needle));
        }
    };
    fails("", "no -----BEGIN CERTIFICATE----- block");
    fails("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "no -----BEGIN CERTIFICATE----- block");
    fails(kPem + "-----BEGIN CERTIFICATE-----\nMIIB\n", "certificate 2 has no END CERTIFICATE line");
    fails("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "certificate 1 is not base64 of a DER");
    fails("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n", "certificate 1 is not base64 of a DER");
}

TEST_CASE("TlsCaCertificate data: one EFI_SIGNATURE_LIST of type X.509 per certificate", "[efi][tls]") {
    auto certs = pem_certificates(kPem + kPem, "ca.pem");
    auto data = tls_ca_signature_lists(certs);
    const size_t list = 16 + 12 + 16 + 415;
    REQUIRE(data.size() == 2 * list);
    for (size_t off : {size_t{0}, list}) {
        CHECK(Guid::from_bytes(std::span<const uint8_t>(data.data() + off, 16)) == kCertX509Guid);
        CHECK(le32(data.data() + off + 16) == list);      // SignatureListSize
        CHECK(le32(data.data() + off + 20) == 0);         // SignatureHeaderSize
        CHECK(le32(data.data() + off + 24) == 16 + 415);  // SignatureSize
        CHECK(Guid::from_bytes(std::span<const uint8_t>(data.data() + off + 28, 16)) == kMetalBootOwnerGuid);
        CHECK(std::equal(certs[0].begin(), certs[0].end(), data.begin() + static_cast<long>(off + 44)));
    }
    CHECK(kTlsCaCertificateGuid.str() == "fd2340d0-3dab-4349-a6c7-3b4f12b56a87");
    CHECK(tls_ca_signature_lists({}).empty());
}
