#include "cert_info.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace eas::certs {
namespace {

struct BioFree {
    void operator()(BIO* b) const { BIO_free_all(b); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;

Cert read_first(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string bio_text(BIO* b) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string name_text(const X509_NAME* name) {
    Bio b(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(b.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    return bio_text(b.get());
}

std::string time_text(const ASN1_TIME* t) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string fingerprint(const X509* x, const EVP_MD* md) {
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(x, md, buf, &n) != 1) return "?";
    std::string out;
    char hex[4];
    for (unsigned int i = 0; i < n; ++i) {
        std::snprintf(hex, sizeof hex, i ? ":%02X" : "%02X", buf[i]);
        out += hex;
    }
    return out;
}

}  // namespace

std::optional<CertInfo> describe_cert(const std::string& pem, std::string& error) {
    Cert x = read_first(pem);
    if (!x) {
        ERR_clear_error();
        error = "no PEM certificate found";
        return std::nullopt;
    }
    CertInfo info;
    info.subject = name_text(X509_get_subject_name(x.get()));
    info.issuer = name_text(X509_get_issuer_name(x.get()));
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr)) {
        char* hex = BN_bn2hex(bn);
        info.serial = hex ? hex : "";
        OPENSSL_free(hex);
        BN_free(bn);
    }
    info.not_before = time_text(X509_get0_notBefore(x.get()));
    info.not_after = time_text(X509_get0_notAfter(x.get()));
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x.get()), &tm) == 1)
        info.expires = std::chrono::system_clock::from_time_t(timegm(&tm));
    info.sha256 = fingerprint(x.get(), EVP_sha256());
    info.sha1 = fingerprint(x.get(), EVP_sha1());
    if (EVP_PKEY* k = X509_get0_pubkey(x.get())) {
        const int bits = EVP_PKEY_get_bits(k);
        if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
            info.key = "RSA " + std::to_string(bits) + " bits";
        } else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
            char group[64] = "";
            std::size_t len = 0;
            EVP_PKEY_get_group_name(k, group, sizeof group, &len);
            info.key = std::string("EC ") + (std::string(group) == "prime256v1" ? "P-256" : group);
        } else {
            info.key = std::string(OBJ_nid2sn(EVP_PKEY_get_base_id(k))) + " " +
                       std::to_string(bits) + " bits";
        }
    }
    info.is_ca = X509_check_ca(x.get()) != 0;
    auto* sans = static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
        if (g->type == GEN_DNS) {
            const auto* s = g->d.dNSName;
            info.names.push_back(
                "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                     static_cast<std::size_t>(ASN1_STRING_length(s))));
        } else if (g->type == GEN_IPADD) {
            const auto* s = g->d.iPAddress;
            const unsigned char* p = ASN1_STRING_get0_data(s);
            char buf[64] = "";
            if (ASN1_STRING_length(s) == 4) {
                std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
            } else if (ASN1_STRING_length(s) == 16) {
                std::string v6;
                for (int j = 0; j < 16; j += 2) {
                    char part[8];
                    std::snprintf(part, sizeof part, j ? ":%x" : "%x", (p[j] << 8) | p[j + 1]);
                    v6 += part;
                }
                std::snprintf(buf, sizeof buf, "%s", v6.c_str());
            }
            info.names.push_back(std::string("IP:") + buf);
        }
    }
    GENERAL_NAMES_free(sans);
    return info;
}

std::optional<std::string> pem_to_der(const std::string& pem, std::string& error) {
    Cert x = read_first(pem);
    if (!x) {
        ERR_clear_error();
        error = "no PEM certificate found";
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    const int n = i2d_X509(x.get(), &der);
    if (n <= 0) {
        error = "cannot encode the certificate as DER";
        return std::nullopt;
    }
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}

}  // namespace eas::certs
