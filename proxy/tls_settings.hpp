// Both sides' TLS settings from the command line: versions and ciphers (devices may go down to
// TLS 1.0 for legacy phones, with a warning), the upstream client certificate, the key log.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "options.hpp"
#include "tls_context.hpp"

namespace spdlog {
class logger;
}

namespace eas::proxy {

struct TlsSettings {
    net::TlsVersions device;
    net::ClientTlsOptions upstream;
};

// Validates the options and logs what needs a warning; nullopt after logging an error.
std::optional<TlsSettings> tls_settings(const Options& o, spdlog::logger& log);

}  // namespace eas::proxy
