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

}  // namespace

std::unique_ptr<ssl::context> make_server_context(const ServerTlsOptions& o, std::string& error) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), o.min_version);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::single_dh_use);
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
    SSL_CTX_set_min_proto_version(ctx->native_handle(), o.min_version);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3);
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
