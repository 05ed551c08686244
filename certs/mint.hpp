// Minting certificates with OpenSSL 3: a CA, and leaf certificates it signs for DNS names and
// IP addresses. Used by the proxy (regular mode), the simulated CAS and the tests, which make
// their certificates at run time: no key is ever committed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace eas::certs {

enum class KeyType { Rsa2048, EcdsaP256 };

struct KeyPair {
    std::string cert_pem;
    std::string key_pem;  // PKCS#8, unencrypted: store it with mode 0600
};

struct MintOptions {
    KeyType key_type = KeyType::EcdsaP256;
    // Phones refuse leaf certificates valid for more than 825 days (Apple); a year is safe.
    std::chrono::hours validity = std::chrono::hours(24 * 365);
    std::chrono::hours backdate = std::chrono::hours(1);  // tolerate clock skew on devices
    // Leaves: sign this key (PEM) instead of generating one. Regular mode gives every leaf the
    // same key, so minting is one signature (an RSA key takes tens of milliseconds to make).
    std::string key_pem;
    // What the leaf is for: a TLS server (devices connect to it) or a TLS client (easproxy
    // showing a CAS that asks for one, --upstream-client-cert).
    enum class Usage { Server, Client } usage = Usage::Server;
};

struct MintResult {
    std::optional<KeyPair> pair;
    std::string error;  // OpenSSL's reason when pair is empty
};

// A self-signed CA with the given common name.
MintResult mint_ca(const std::string& common_name, const MintOptions& options = {});

// A leaf for `names` (DNS names or IP literals, the first also the common name), signed by the
// CA. Subject alternative names carry each as DNS or IP as fits.
MintResult mint_leaf(const KeyPair& ca, const std::vector<std::string>& names,
                     const MintOptions& options = {});

// A new private key as PKCS#8 PEM, or "" with `error` set.
std::string make_private_key_pem(KeyType type, std::string& error);

// Writes a file with mode 0600 from the start (never briefly readable by others).
bool write_private_file(const std::string& path, const std::string& contents, std::string& error);

}  // namespace eas::certs
