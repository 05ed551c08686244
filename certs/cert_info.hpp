// What `easproxy ca show` and the install page say about a certificate: subject, validity,
// fingerprints, key; and its DER form (what phones import as a .crt).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace eas::certs {

struct CertInfo {
    std::string subject;  // "O=easproxy, CN=easproxy CA"
    std::string issuer;
    std::string serial;      // hex
    std::string not_before;  // "2026-11-25 12:00:00 UTC"
    std::string not_after;
    std::chrono::system_clock::time_point expires;
    std::string sha256;  // "AB:CD:..."
    std::string sha1;
    std::string key;  // "RSA 2048 bits", "EC P-256"
    bool is_ca = false;
    std::vector<std::string> names;  // subject alternative names: "DNS:x", "IP:1.2.3.4"
};

// The first certificate of a PEM text.
std::optional<CertInfo> describe_cert(const std::string& pem, std::string& error);
std::optional<std::string> pem_to_der(const std::string& pem, std::string& error);

}  // namespace eas::certs
