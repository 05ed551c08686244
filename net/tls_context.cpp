#include "tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace eas::net {
namespace {

template <class F>
bool guarded(std::string& error, const char* what, F&& f) {
    try {
        f();
        return true;
    } catch (const boost::system::system_error& e) {
        error = std::string(what) + ": " + e.code().message();
        return false;
    }
}

// Versions, ciphers and the security level they need; false with `error` on a bad list.
bool apply_versions(ssl::context& ctx, const TlsVersions& v, std::string& error) {
    SSL_CTX* c = ctx.native_handle();
    SSL_CTX_set_min_proto_version(c, v.min_version);
    if (v.max_version) SSL_CTX_set_max_proto_version(c, v.max_version);
    std::string ciphers = v.ciphers;
    if (v.min_version && v.min_version < TLS1_2_VERSION) {
        // TLS 1.0/1.1 sign the handshake with SHA-1, which security level 1 and up refuse.
        SSL_CTX_set_security_level(c, 0);
        if (ciphers.empty()) ciphers = "DEFAULT:@SECLEVEL=0";
    }
    if (!ciphers.empty() && SSL_CTX_set_cipher_list(c, ciphers.c_str()) != 1) {
        ERR_clear_error();
        error = "cipher list \"" + ciphers + "\" names no cipher OpenSSL knows";
        return false;
    }
    if (!v.ciphersuites.empty() && SSL_CTX_set_ciphersuites(c, v.ciphersuites.c_str()) != 1) {
        ERR_clear_error();
        error = "TLS 1.3 cipher suites \"" + v.ciphersuites + "\" name none OpenSSL knows";
        return false;
    }
    return true;
}

}  // namespace

int parse_tls_version(const std::string& text) {
    if (text == "1.0" || text == "1") return TLS1_VERSION;
    if (text == "1.1") return TLS1_1_VERSION;
    if (text == "1.2") return TLS1_2_VERSION;
    if (text == "1.3") return TLS1_3_VERSION;
    return 0;
}

std::string tls_version_name(int version) {
    switch (version) {
        case TLS1_VERSION:
            return "TLS 1.0";
        case TLS1_1_VERSION:
            return "TLS 1.1";
        case TLS1_2_VERSION:
            return "TLS 1.2";
        case TLS1_3_VERSION:
            return "TLS 1.3";
        default:
            return "any";
    }
}

std::unique_ptr<ssl::context> make_server_context(const ServerTlsOptions& o, std::string& error) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::single_dh_use);
    // A device asking to renegotiate (TLS 1.2) gets an alert: renegotiation is a classic way to
    // make a server spend CPU, and nothing legitimate needs it here. Said explicitly rather than
    // left to the library's default.
    SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);
    // Idle connections (held Pings) give OpenSSL's record buffers back.
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    if (!apply_versions(*ctx, o.versions, error)) return nullptr;
    if (!guarded(error, "certificate chain",
                 [&] { ctx->use_certificate_chain(asio::buffer(o.cert_chain_pem)); }) ||
        !guarded(error, "private key",
                 [&] { ctx->use_private_key(asio::buffer(o.key_pem), ssl::context::pem); })) {
        return nullptr;
    }
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
        error = "the private key does not match the certificate";
        return nullptr;
    }
    return ctx;
}

std::unique_ptr<ssl::context> make_client_context(const ClientTlsOptions& o, std::string& error) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3);
    SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);  // nor for a CAS
    // Idle connections (held Pings) give OpenSSL's record buffers back.
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    if (!apply_versions(*ctx, o.versions, error)) return nullptr;
    if (!o.cert_chain_pem.empty()) {
        if (!guarded(error, "client certificate",
                     [&] { ctx->use_certificate_chain(asio::buffer(o.cert_chain_pem)); }) ||
            !guarded(error, "client certificate key",
                     [&] { ctx->use_private_key(asio::buffer(o.key_pem), ssl::context::pem); })) {
            return nullptr;
        }
        if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
            ERR_clear_error();
            error = "the client certificate's key does not match it";
            return nullptr;
        }
    }
    if (!o.verify) {
        ctx->set_verify_mode(ssl::verify_none);
        return ctx;
    }
    ctx->set_verify_mode(ssl::verify_peer);
    if (o.system_store &&
        !guarded(error, "system certificate store", [&] { ctx->set_default_verify_paths(); })) {
        return nullptr;
    }
    if (!o.ca_file.empty() &&
        !guarded(error, o.ca_file.c_str(), [&] { ctx->load_verify_file(o.ca_file); })) {
        return nullptr;
    }
    if (!o.ca_pem.empty() && !guarded(error, "CA certificate", [&] {
            ctx->add_certificate_authority(asio::buffer(o.ca_pem));
        })) {
        return nullptr;
    }
    return ctx;
}

bool load_pem_bundle(const std::string& path, ServerTlsOptions& out, std::string& error) {
    std::ifstream in(path);
    if (!in) {
        error = path + ": cannot read";
        return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string pem = ss.str();
    // Split certificates from the key: the key block may come first or last.
    std::string certs, key;
    std::size_t pos = 0;
    while (true) {
        const auto begin = pem.find("-----BEGIN ", pos);
        if (begin == std::string::npos) break;
        const auto end_marker = pem.find("-----END ", begin);
        if (end_marker == std::string::npos) break;
        const auto end = pem.find("-----", end_marker + 9);
        if (end == std::string::npos) break;
        const std::string block = pem.substr(begin, end + 5 - begin) + "\n";
        (block.find("PRIVATE KEY-----") != std::string::npos ? key : certs) += block;
        pos = end + 5;
    }
    if (certs.empty() || key.empty()) {
        error = path + ": needs a certificate and its private key in PEM";
        return false;
    }
    out.cert_chain_pem = certs;
    out.key_pem = key;
    return true;
}

std::string describe_tls_error(const boost::system::error_code& ec, SSL* ssl) {
    std::string out = ec.message();
    if (ssl) {
        const long v = SSL_get_verify_result(ssl);
        if (v != X509_V_OK) out += " (" + std::string(X509_verify_cert_error_string(v)) + ")";
    }
    return out;
}

}  // namespace eas::net
