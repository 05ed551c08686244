// What a device's certificate check would say about the server's chain, with every problem in
// words instead of OpenSSL's first error only: the chain is verified after the handshake
// against the same trust store (system store + --ca), collecting each error (untrusted issuer,
// expiry, wrong name) rather than stopping at the first, so one run shows all that is wrong.
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string>
#include <vector>

namespace eas::probe {

struct CertInfo {
    std::string subject;  // RFC 2253, "CN=mail.contoso.com,O=Contoso"
    std::string issuer;
    std::string not_before;  // "2026-11-25 10:20 UTC"
    std::string not_after;
};

struct CertFindings {
    std::vector<CertInfo> chain;        // as the server sent it, leaf first
    std::vector<std::string> names;     // the leaf's subjectAltName entries, "DNS:x", "IP:y"
    std::optional<long> days_left;      // until the leaf expires; negative once expired
    std::string anchor;                 // subject of the trusted CA the chain ends at, if any
    bool trusted = true;                // the chain leads to a trusted CA
    bool name_ok = true;                // valid for the host the device asked for
    bool in_date = true;                // every certificate within its validity
    std::vector<std::string> problems;  // each in words, naming the certificate concerned
};

// Verifies the peer chain of a finished handshake for `host` (DNS name or IP literal) against
// the trust store of the SSL's context.
CertFindings check_certificate(SSL* ssl, const std::string& host);

}  // namespace eas::probe
