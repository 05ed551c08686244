#include "ca_store.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace eas::certs {

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

bool check_private_mode(const std::string& path, std::string& error) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        error = path + ": cannot stat";
        return false;
    }
    if (st.st_mode & 077) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%03o", st.st_mode & 0777);
        error = path + " is readable by group or others (mode " + mode + "): chmod 600 it first";
        return false;
    }
    return true;
}

bool ca_exists(const CaPaths& paths) {
    std::error_code ec;
    return std::filesystem::exists(paths.key(), ec);
}

std::optional<KeyPair> load_ca(const CaPaths& paths, std::string& error) {
    if (!check_private_mode(paths.key(), error)) return std::nullopt;
    KeyPair ca;
    if (!read_file(paths.cert(), ca.cert_pem) || !read_file(paths.key(), ca.key_pem)) {
        error = "cannot read the CA in " + paths.dir + " (ca-cert.pem, ca-key.pem)";
        return std::nullopt;
    }
    return ca;
}

std::optional<KeyPair> create_ca(const CaPaths& paths, KeyType type, bool replace,
                                 std::string& error) {
    if (ca_exists(paths) && !replace) {
        error =
            "a CA already exists in " + paths.dir + " (devices may trust it); --force replaces it";
        return std::nullopt;
    }
    std::error_code ec;
    std::filesystem::create_directories(paths.dir, ec);
    if (ec) {
        error = paths.dir + ": " + ec.message();
        return std::nullopt;
    }
    ::chmod(paths.dir.c_str(), 0700);
    MintOptions options;
    options.key_type = type;
    // The CA outlives its leaves; phones cap leaf validity, not a root's.
    options.validity = std::chrono::hours(24 * 365 * 10);
    auto minted = mint_ca("easproxy CA", options);
    if (!minted.pair) {
        error = minted.error;
        return std::nullopt;
    }
    if (!write_private_file(paths.key(), minted.pair->key_pem, error)) return std::nullopt;
    std::ofstream out(paths.cert(), std::ios::trunc);
    out << minted.pair->cert_pem;
    if (!out) {
        error = paths.cert() + ": cannot write";
        return std::nullopt;
    }
    // Leaves of an old CA are useless now.
    std::filesystem::remove_all(paths.leaves(), ec);
    std::filesystem::remove(paths.leaf_key(), ec);
    return minted.pair;
}

KeyType key_type_of(const std::string& key_pem) {
    BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    const KeyType t =
        k && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? KeyType::EcdsaP256 : KeyType::Rsa2048;
    EVP_PKEY_free(k);
    return t;
}

std::optional<std::string> load_or_create_leaf_key(const CaPaths& paths, KeyType type,
                                                   std::string& error) {
    std::error_code ec;
    if (std::filesystem::exists(paths.leaf_key(), ec)) {
        if (!check_private_mode(paths.leaf_key(), error)) return std::nullopt;
        std::string pem;
        if (!read_file(paths.leaf_key(), pem)) {
            error = paths.leaf_key() + ": cannot read";
            return std::nullopt;
        }
        return pem;
    }
    std::string pem = make_private_key_pem(type, error);
    if (pem.empty()) return std::nullopt;
    if (!write_private_file(paths.leaf_key(), pem, error)) return std::nullopt;
    return pem;
}

}  // namespace eas::certs
