// The CAS certificate: minted at start (a CA and one leaf for 127.0.0.1, localhost and any
// extra names), the CA written for clients to trust. The keys stay in memory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "asio.hpp"

namespace fakecas {

struct TlsSetup {
    std::unique_ptr<eas::net::ssl::context> context;
    std::string ca_pem;  // empty with --cert
};

// Mints a CA and a leaf for `names`, or loads `cert_file` (PEM chain + key) when given. Writes
// the CA certificate to `ca_out` (if not empty) atomically: write a temporary file, rename.
// `expired_leaf` mints a leaf whose validity ended a day ago (the CA stays valid), for clients'
// certificate checks.
bool setup_tls(const std::vector<std::string>& names, const std::string& cert_file,
               const std::string& ca_out, TlsSetup& out, std::string& error,
               bool expired_leaf = false);

// Writes `contents` to `path` through a temporary file and rename(), so a reader polling for
// the file never sees half of it.
bool write_file_atomically(const std::string& path, const std::string& contents,
                           std::string& error);

}  // namespace fakecas
