#include "mint.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <memory>

namespace eas::certs {
namespace {

template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

std::string openssl_error(const char* what) {
    std::string out = what;
    const unsigned long e = ERR_get_error();
    if (e) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        out += ": ";
        out += buf;
    }
    ERR_clear_error();
    return out;
}

PKey make_key(KeyType type) {
    EVP_PKEY* k = type == KeyType::Rsa2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    return PKey(k);
}

std::string to_pem(const PKey& key) {
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string to_pem(const Cert& cert) {
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert.get());
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) return false;
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

bool is_ip(const std::string& s) {
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// Common part of CA and leaf: serial, validity, subject, public key.
Cert new_cert(const std::string& cn, EVP_PKEY* key, const MintOptions& o) {
    Cert cert(X509_new());
    X509_set_version(cert.get(), 2);
    // A random 159-bit serial: browsers and phones reject reused serials from one issuer.
    unsigned char serial[20];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7F;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -static_cast<long>(o.backdate.count()) * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(o.validity.count()) * 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("easproxy"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_pubkey(cert.get(), key);
    return cert;
}

PKey read_key(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Cert read_cert(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

MintResult mint_ca(const std::string& common_name, const MintOptions& options) {
    MintResult r;
    PKey key = make_key(options.key_type);
    if (!key) {
        r.error = openssl_error("generating the CA key");
        return r;
    }
    Cert cert = new_cert(common_name, key.get(), options);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
    if (!add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash")) {
        r.error = openssl_error("adding CA extensions");
        return r;
    }
    if (!X509_sign(cert.get(), key.get(), EVP_sha256())) {
        r.error = openssl_error("signing the CA certificate");
        return r;
    }
    r.pair = KeyPair{to_pem(cert), to_pem(key)};
    return r;
}

MintResult mint_leaf(const KeyPair& ca, const std::vector<std::string>& names,
                     const MintOptions& options) {
    MintResult r;
    if (names.empty()) {
        r.error = "a leaf certificate needs at least one name";
        return r;
    }
    PKey ca_key = read_key(ca.key_pem);
    Cert ca_cert = read_cert(ca.cert_pem);
    if (!ca_key || !ca_cert) {
        r.error = openssl_error("reading the CA");
        return r;
    }
    PKey key = options.key_pem.empty() ? make_key(options.key_type) : read_key(options.key_pem);
    if (!key) {
        r.error = openssl_error(options.key_pem.empty() ? "generating the leaf key"
                                                        : "reading the leaf key");
        return r;
    }
    Cert cert = new_cert(names.front(), key.get(), options);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
    std::string san;
    for (const auto& n : names) {
        if (!san.empty()) san += ',';
        san += (is_ip(n) ? "IP:" : "DNS:") + n;
    }
    if (!add_ext(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(cert.get(), ca_cert.get(), NID_key_usage,
                 "critical,digitalSignature,keyEncipherment") ||
        !add_ext(cert.get(), ca_cert.get(), NID_ext_key_usage,
                 options.usage == MintOptions::Usage::Client ? "clientAuth" : "serverAuth") ||
        !add_ext(cert.get(), ca_cert.get(), NID_subject_alt_name, san) ||
        !add_ext(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always")) {
        r.error = openssl_error("adding leaf extensions");
        return r;
    }
    if (!X509_sign(cert.get(), ca_key.get(), EVP_sha256())) {
        r.error = openssl_error("signing the leaf certificate");
        return r;
    }
    r.pair = KeyPair{to_pem(cert), to_pem(key)};
    return r;
}

std::string make_private_key_pem(KeyType type, std::string& error) {
    PKey key = make_key(type);
    if (!key) {
        error = openssl_error("generating a key");
        return {};
    }
    return to_pem(key);
}

bool write_private_file(const std::string& path, const std::string& contents, std::string& error) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = path + ": " + std::strerror(errno);
        return false;
    }
    // An existing file keeps its mode on O_CREAT: force 0600.
    ::fchmod(fd, 0600);
    std::size_t done = 0;
    while (done < contents.size()) {
        const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            error = path + ": " + std::strerror(errno);
            ::close(fd);
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) {
        error = path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace eas::certs
