#include "tls_setup.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "mint.hpp"
#include "tls_context.hpp"

namespace fakecas {

bool write_file_atomically(const std::string& path, const std::string& contents,
                           std::string& error) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) {
            error = tmp + ": cannot create (" + std::strerror(errno) + ")";
            return false;
        }
        out << contents;
        out.flush();
        if (!out) {
            error = tmp + ": write failed";
            return false;
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        error = path + ": cannot rename " + tmp + " into place (" + std::strerror(errno) + ")";
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

bool setup_tls(const std::vector<std::string>& names, const std::string& cert_file,
               const std::string& ca_out, TlsSetup& out, std::string& error, bool expired_leaf) {
    eas::net::ServerTlsOptions options;
    if (!cert_file.empty()) {
        if (!eas::net::load_pem_bundle(cert_file, options, error)) return false;
    } else {
        const auto ca = eas::certs::mint_ca("fake-cas test CA");
        if (!ca.pair) {
            error = "minting the CA failed: " + ca.error;
            return false;
        }
        eas::certs::MintOptions leaf_options;
        if (expired_leaf) {
            // Valid from two days ago until yesterday: expired, but not by so much that a
            // client could blame a skewed clock.
            leaf_options.backdate = std::chrono::hours(48);
            leaf_options.validity = std::chrono::hours(-24);
        }
        const auto leaf = eas::certs::mint_leaf(*ca.pair, names, leaf_options);
        if (!leaf.pair) {
            error = "minting the CAS certificate failed: " + leaf.error;
            return false;
        }
        options.cert_chain_pem = leaf.pair->cert_pem;
        options.key_pem = leaf.pair->key_pem;
        out.ca_pem = ca.pair->cert_pem;
        if (!ca_out.empty() && !write_file_atomically(ca_out, out.ca_pem, error)) return false;
    }
    out.context = eas::net::make_server_context(options, error);
    if (!out.context) return false;
    // Held Ping/Sync connections sit idle for minutes: let OpenSSL free their buffers meanwhile.
    SSL_CTX_set_mode(out.context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    return true;
}

}  // namespace fakecas
