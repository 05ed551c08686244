#include "leaf_contexts.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tls_context.hpp"

namespace eas::proxy {
namespace {

bool read_text(const std::string& path, std::string& out) {
    std::ifstream in(path);
    if (!in.is_open()) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

}  // namespace

LeafContexts::LeafContexts(std::string ca_dir, std::string& error) : dir_(std::move(ca_dir)) {
    const std::string cert_path = dir_ + "/ca-cert.pem";
    const std::string key_path = dir_ + "/ca-key.pem";
    ca_cert_path_ = cert_path;
    std::error_code ec;
    if (std::filesystem::exists(key_path, ec)) {
        struct stat st {};
        if (::stat(key_path.c_str(), &st) != 0) {
            error = key_path + ": cannot stat";
            return;
        }
        if (st.st_mode & 077) {
            error = key_path + " is readable by group or others (mode " +
                    std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
                    std::to_string(st.st_mode & 7) + "): chmod 600 it first";
            return;
        }
        if (!read_text(cert_path, ca_.cert_pem) || !read_text(key_path, ca_.key_pem)) {
            error = "cannot read the CA in " + dir_;
            return;
        }
        return;
    }
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
        error = dir_ + ": " + ec.message();
        return;
    }
    certs::MintOptions options;
    options.key_type = certs::KeyType::Rsa2048;  // legacy devices often know RSA only
    options.validity = std::chrono::hours(24 * 365 * 5);
    auto minted = certs::mint_ca("easproxy CA", options);
    if (!minted.pair) {
        error = minted.error;
        return;
    }
    ca_ = *minted.pair;
    if (!certs::write_private_file(key_path, ca_.key_pem, error)) return;
    std::ofstream(cert_path) << ca_.cert_pem;
    created_ = true;
}

std::shared_ptr<net::ssl::context> LeafContexts::for_host(const std::string& host,
                                                          std::string& error) {
    std::lock_guard lock(mutex_);
    if (auto it = contexts_.find(host); it != contexts_.end()) return it->second;
    // Minting one ECDSA leaf takes well under a millisecond: done inline, under the lock.
    auto leaf = certs::mint_leaf(ca_, {host});
    if (!leaf.pair) {
        error = leaf.error;
        return nullptr;
    }
    net::ServerTlsOptions so;
    so.cert_chain_pem = leaf.pair->cert_pem;
    so.key_pem = leaf.pair->key_pem;
    auto ctx = net::make_server_context(so, error);
    if (!ctx) return nullptr;
    std::shared_ptr<net::ssl::context> shared(std::move(ctx));
    contexts_[host] = shared;
    return shared;
}

}  // namespace eas::proxy
