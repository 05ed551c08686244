// The CA directory (--ca-dir, default ~/.easproxy): the CA certificate and key, the key every
// minted leaf shares, and the leaves minted so far (one PEM per host, reused until near expiry).
//   ca-cert.pem   the CA devices install
//   ca-key.pem    its key, mode 0600 (easproxy refuses a key others can read)
//   leaf-key.pem  the leaves' key, mode 0600
//   leaves/HOST.pem
#pragma once

#include <optional>
#include <string>

#include "mint.hpp"

namespace eas::certs {

struct CaPaths {
    explicit CaPaths(std::string d) : dir(std::move(d)) {}
    std::string dir;
    std::string cert() const { return dir + "/ca-cert.pem"; }
    std::string key() const { return dir + "/ca-key.pem"; }
    std::string leaf_key() const { return dir + "/leaf-key.pem"; }
    std::string leaves() const { return dir + "/leaves"; }
};

bool ca_exists(const CaPaths& paths);

// Loads the CA; refuses a key file readable by group or others, naming its mode.
std::optional<KeyPair> load_ca(const CaPaths& paths, std::string& error);

// Creates a CA (the directory 0700, the key 0600). Refuses to replace an existing CA unless
// `replace`: devices trust the old one.
std::optional<KeyPair> create_ca(const CaPaths& paths, KeyType type, bool replace,
                                 std::string& error);

// The key all leaves share, created on first use with the CA's key type.
std::optional<std::string> load_or_create_leaf_key(const CaPaths& paths, KeyType type,
                                                   std::string& error);

// The key type of a PEM private key (RSA, or EC taken as P-256).
KeyType key_type_of(const std::string& key_pem);

// Refuses a private key file readable by group or others.
bool check_private_mode(const std::string& path, std::string& error);

bool read_file(const std::string& path, std::string& out);

}  // namespace eas::certs
