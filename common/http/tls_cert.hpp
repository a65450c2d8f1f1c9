#pragma once
// Self-signed certificates for a first start with TLS (mb-redfish answers HTTPS before an operator
// installs a real certificate). OpenSSL only, no Boost.
#include <string>
#include <vector>

namespace mb::http {

struct SelfSignedOptions {
    std::string common_name = "metal-boot";
    // subjectAltName entries: IP literals become IP:, anything else DNS:. Empty = CN (+ 127.0.0.1, ::1).
    std::vector<std::string> alt_names;
    int days = 3650;
};

// Writes a new EC P-256 key (mode 0600) and a self-signed X.509v3 certificate (SHA-256, SAN,
// basicConstraints CA:FALSE, serverAuth) as PEM files, each atomically. Throws mb::Error
// (kExitCantCreate) naming the file on failure.
void write_self_signed(const std::string& cert_file, const std::string& key_file, const SelfSignedOptions& options);

// Creates them only when neither file exists; returns true if it did. Throws kExitConfig when only
// one of the two exists (an operator's half-installed pair is never overwritten).
bool ensure_self_signed(const std::string& cert_file, const std::string& key_file, const SelfSignedOptions& options);

// "SHA256 fingerprint" of a PEM certificate file as colon-separated upper-case hex (for logs, pinning).
std::string certificate_fingerprint(const std::string& cert_file);

}  // namespace mb::http
