// TLS contexts for both sides of the proxy and for the tools: secure defaults (TLS 1.2+,
// verification on), every failure reported in words instead of thrown.
#pragma once

#include <memory>
#include <string>

#include "asio.hpp"

namespace eas::net {

// Protocol versions and ciphers of one side. Below TLS 1.2 (legacy devices) OpenSSL's security
// level drops to 0, which also allows SHA-1 signatures and small keys: say so at start.
struct TlsVersions {
    int min_version = TLS1_2_VERSION;
    int max_version = 0;       // 0: the highest OpenSSL knows
    std::string ciphers;       // TLS 1.2 and below, OpenSSL cipher list syntax ("" = default)
    std::string ciphersuites;  // TLS 1.3 ("" = default)
};

struct ServerTlsOptions {
    std::string cert_chain_pem;  // leaf first, then intermediates
    std::string key_pem;
    TlsVersions versions;
};

struct ClientTlsOptions {
    bool verify = true;   // chain and host name; off only when told (--upstream-insecure)
    std::string ca_file;  // extra trust anchors (PEM file) besides the system store
    std::string ca_pem;   // extra trust anchors (PEM text)
    bool system_store = true;
    TlsVersions versions;
    // A client certificate for servers that ask for one (mutual TLS): chain and key as PEM.
    std::string cert_chain_pem;
    std::string key_pem;
};

// "1.0" "1.1" "1.2" "1.3" -> TLS1_x_VERSION; 0 when unknown.
int parse_tls_version(const std::string& text);
std::string tls_version_name(int version);

std::unique_ptr<ssl::context> make_server_context(const ServerTlsOptions& options,
                                                  std::string& error);
std::unique_ptr<ssl::context> make_client_context(const ClientTlsOptions& options,
                                                  std::string& error);

// Reads a PEM file holding a certificate chain and its key (what --cert takes).
bool load_pem_bundle(const std::string& path, ServerTlsOptions& out, std::string& error);

// The last OpenSSL error in words ("certificate verify failed (unable to get local issuer
// certificate)"), for log lines.
std::string describe_tls_error(const boost::system::error_code& ec, SSL* ssl = nullptr);

}  // namespace eas::net
