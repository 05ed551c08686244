#include "cert_check.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <memory>

namespace eas::probe {
namespace {

struct VerifyError {
    int code = 0;
    int depth = 0;
    std::string subject;
    std::string issuer;
    std::string not_before;
    std::string not_after;
};

std::string name_text(const X509_NAME* name) {
    if (!name) return {};
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio) return {};
    // RFC 2253 puts the CN first, which is what an administrator looks for.
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string time_text(const ASN1_TIME* t) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%d %H:%M UTC", &tm);
    return out;
}

CertInfo info(X509* cert) {
    return {name_text(X509_get_subject_name(cert)), name_text(X509_get_issuer_name(cert)),
            time_text(X509_get0_notBefore(cert)), time_text(X509_get0_notAfter(cert))};
}

std::vector<std::string> alt_names(X509* cert) {
    std::vector<std::string> out;
    auto* names =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (!names) return out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
        if (n->type == GEN_DNS) {
            const auto* s = n->d.dNSName;
            out.push_back("DNS:" +
                          std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                      static_cast<std::size_t>(ASN1_STRING_length(s))));
        } else if (n->type == GEN_IPADD) {
            const auto* s = n->d.iPAddress;
            const int len = ASN1_STRING_length(s);
            char text[INET6_ADDRSTRLEN] = {};
            if ((len == 4 || len == 16) && inet_ntop(len == 4 ? AF_INET : AF_INET6,
                                                     ASN1_STRING_get0_data(s), text, sizeof text)) {
                out.push_back(std::string("IP:") + text);
            }
        }
    }
    GENERAL_NAMES_free(names);
    return out;
}

// Records each verification error and lets verification go on, so that an untrusted chain
// still gets its dates and name checked.
int record_error(int ok, X509_STORE_CTX* ctx) {
    if (ok) return 1;
    auto* errors = static_cast<std::vector<VerifyError>*>(X509_STORE_CTX_get_app_data(ctx));
    VerifyError e;
    e.code = X509_STORE_CTX_get_error(ctx);
    e.depth = X509_STORE_CTX_get_error_depth(ctx);
    if (X509* cert = X509_STORE_CTX_get_current_cert(ctx)) {
        const CertInfo i = info(cert);
        e.subject = i.subject;
        e.issuer = i.issuer;
        e.not_before = i.not_before;
        e.not_after = i.not_after;
    }
    const bool seen = std::any_of(errors->begin(), errors->end(), [&e](const VerifyError& x) {
        return x.code == e.code && x.depth == e.depth;
    });
    if (!seen) errors->push_back(std::move(e));
    return 1;
}

std::string which(const VerifyError& e) {
    return e.depth == 0 ? "the server's certificate" : "the CA certificate " + e.subject;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
}

// Sorts one error into the findings, in words. A missing issuer raises several codes
// (unable to get issuer, unable to verify the leaf signature): one sentence says it.
void describe(const VerifyError& e, const std::string& host, CertFindings& f) {
    if (!f.trusted && e.code != X509_V_ERR_CERT_HAS_EXPIRED &&
        e.code != X509_V_ERR_CERT_NOT_YET_VALID && e.code != X509_V_ERR_HOSTNAME_MISMATCH &&
        e.code != X509_V_ERR_IP_ADDRESS_MISMATCH) {
        return;
    }
    switch (e.code) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            f.in_date = false;
            f.problems.push_back(which(e) + " expired on " + e.not_after);
            return;
        case X509_V_ERR_CERT_NOT_YET_VALID:
            f.in_date = false;
            f.problems.push_back(which(e) + " is not valid before " + e.not_before +
                                 " (or this machine's clock is wrong)");
            return;
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            f.name_ok = false;
            f.problems.push_back("the certificate is not valid for " + host +
                                 (f.names.empty() ? std::string(" (it names no subjectAltName)")
                                                  : " (it names " + join(f.names) + ")"));
            return;
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_UNTRUSTED:
            f.trusted = false;
            f.problems.push_back("the chain is not trusted: " + e.issuer + ", which issued " +
                                 e.subject +
                                 ", is not a trusted CA (system store and --ca); trust it with "
                                 "--ca FILE, or the server must send its intermediate "
                                 "certificates");
            return;
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
            f.trusted = false;
            f.problems.push_back("the certificate is self-signed (" + e.subject +
                                 ") and not trusted");
            return;
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            f.trusted = false;
            f.problems.push_back("the chain ends at a CA that is not trusted: " + e.subject +
                                 " (trust it with --ca FILE)");
            return;
        default:
            f.trusted = false;
            f.problems.push_back(std::string(X509_verify_cert_error_string(e.code)) + " (" +
                                 which(e) + ")");
    }
}

}  // namespace

CertFindings check_certificate(SSL* ssl, const std::string& host) {
    CertFindings f;
    X509* leaf = SSL_get0_peer_certificate(ssl);
    if (!leaf) {
        f.trusted = false;
        f.problems.push_back("the server sent no certificate");
        return f;
    }
    STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl);  // a client's view includes the leaf
    for (int i = 0; sent && i < sk_X509_num(sent); ++i)
        f.chain.push_back(info(sk_X509_value(sent, i)));
    if (f.chain.empty()) f.chain.push_back(info(leaf));
    f.names = alt_names(leaf);
    int days = 0;
    int seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(leaf)))
        f.days_left = days - (seconds < 0 ? 1 : 0);

    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                        &X509_STORE_CTX_free);
    X509_STORE* store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
    if (!ctx || !X509_STORE_CTX_init(ctx.get(), store, leaf, sent)) {
        f.trusted = false;
        f.problems.push_back("could not set up certificate verification (out of memory?)");
        return f;
    }
    // The checks a TLS client makes of a server: purpose, then the name it dialled.
    X509_STORE_CTX_set_default(ctx.get(), "ssl_server");
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    unsigned char ip[16];
    const bool is_ip =
        inet_pton(AF_INET, host.c_str(), ip) == 1 || inet_pton(AF_INET6, host.c_str(), ip) == 1;
    if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
    std::vector<VerifyError> errors;
    X509_STORE_CTX_set_app_data(ctx.get(), &errors);
    X509_STORE_CTX_set_verify_cb(ctx.get(), record_error);
    X509_verify_cert(ctx.get());

    for (const auto& e : errors) describe(e, host, f);
    if (f.trusted) {
        STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
        const int n = built ? sk_X509_num(built) : 0;
        if (n > 0) f.anchor = name_text(X509_get_subject_name(sk_X509_value(built, n - 1)));
    }
    return f;
}

}  // namespace eas::probe
