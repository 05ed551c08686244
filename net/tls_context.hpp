// TLS contexts for both sides of the proxy and for the tools: secure defaults (TLS 1.2+,
// verification on), every failure reported in words instead of thrown.
#pragma once

#include <memory>
#include <string>

#include "asio.hpp"

namespace eas::net {

struct ServerTlsOptions {
    std::string cert_chain_pem;  // leaf first, then intermediates
    std::string key_pem;
    int min_version = TLS1_2_VERSION;
};

struct ClientTlsOptions {
    bool verify = true;   // chain and host name; off only when told (--upstream-insecure)
    std::string ca_file;  // extra trust anchors (PEM file) besides the system store
    std::string ca_pem;   // extra trust anchors (PEM text)
    bool system_store = true;
    int min_version = TLS1_2_VERSION;
};

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
