#include "http/tls_cert.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>
#include <functional>
#include <cerrno>
#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::http {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

Error ssl_error(const std::string& what) { return Error(kExitCantCreate, what + ": OpenSSL failure"); }

bool is_ip(const std::string& s) {
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string pem_of(const std::function<int(BIO*)>& write) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1) throw ssl_error("PEM encoding");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
}

void write_atomic(const std::string& path, const std::string& data, mode_t mode) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw Error(kExitCantCreate, "cannot create " + tmp + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw Error(kExitCantCreate, "cannot write " + tmp + ": " + std::strerror(e));
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        throw Error(kExitCantCreate, "cannot write " + tmp + ": " + std::strerror(errno));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw Error(kExitCantCreate, "cannot rename " + tmp + " to " + path + ": " + std::strerror(e));
    }
    const auto dir = std::filesystem::path(path).parent_path();
    const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace

void write_self_signed(const std::string& cert_file, const std::string& key_file, const SelfSignedOptions& o) {
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) throw ssl_error("EC key generation");
    X509Ptr cert(X509_new());
    if (!cert) throw ssl_error("certificate allocation");
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(o.days) * 86400L);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Metal Boot"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(o.common_name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);

    std::vector<std::string> names = o.alt_names;
    if (names.empty()) names = {o.common_name, "127.0.0.1", "::1"};
    std::string san;
    for (const auto& n : names) {
        if (!san.empty()) san += ',';
        san += (is_ip(n) ? "IP:" : "DNS:") + n;
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    const std::pair<int, std::string> exts[] = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                {NID_key_usage, "critical,digitalSignature,keyAgreement"},
                                                {NID_ext_key_usage, "serverAuth"},
                                                {NID_subject_key_identifier, "hash"},
                                                {NID_subject_alt_name, san}};
    for (const auto& [nid, value] : exts) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        if (!ext) throw ssl_error("certificate extension " + value);
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw ssl_error("certificate signing");

    const auto key_pem = pem_of([&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    const auto cert_pem = pem_of([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
    for (const auto& f : {key_file, cert_file}) {
        const auto dir = std::filesystem::path(f).parent_path();
        std::error_code ec;
        if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    }
    write_atomic(key_file, key_pem, 0600);
    write_atomic(cert_file, cert_pem, 0644);
}

bool ensure_self_signed(const std::string& cert_file, const std::string& key_file, const SelfSignedOptions& o) {
    const bool have_cert = ::access(cert_file.c_str(), F_OK) == 0;
    const bool have_key = ::access(key_file.c_str(), F_OK) == 0;
    if (have_cert && have_key) return false;
    if (have_cert != have_key)
        throw config_error("only one of TLS certificate " + cert_file + " and key " + key_file +
                           " exists; install both or remove the other to generate a self-signed pair");
    write_self_signed(cert_file, key_file, o);
    return true;
}

std::string certificate_fingerprint(const std::string& cert_file) {
    BioPtr bio(BIO_new_file(cert_file.c_str(), "r"));
    if (!bio) throw no_input("cannot read certificate " + cert_file);
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) throw data_error("no PEM certificate in " + cert_file);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert.get(), EVP_sha256(), md, &len);
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        if (i) out += ':';
        out += fmt::format("{:02X}", md[i]);
    }
    return out;
}

}  // namespace mb::http
