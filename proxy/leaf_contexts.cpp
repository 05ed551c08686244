#include "leaf_contexts.hpp"

#include <filesystem>
#include <fstream>

#include "cert_info.hpp"
#include "keylog.hpp"

namespace eas::proxy {
namespace {

// Devices that cannot reach the proxy for a while still find a valid leaf when they return.
constexpr auto kRenewBefore = std::chrono::hours(24 * 30);
// A device (or something posing as one) naming endless hosts must not grow memory forever.
constexpr std::size_t kMaxCachedContexts = 10000;

}  // namespace

bool is_valid_leaf_host(const std::string& host) {
    if (host.empty() || host.size() > 253 || host.front() == '.' || host.front() == '-')
        return false;
    if (host.find("..") != std::string::npos) return false;
    for (const char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == ':';
        if (!ok) return false;
    }
    return true;
}

LeafContexts::LeafContexts(std::string ca_dir, net::TlsVersions device_tls, std::string& error)
    : paths_(std::move(ca_dir)), device_tls_(std::move(device_tls)) {
    ca_cert_path_ = paths_.cert();
    std::optional<certs::KeyPair> ca;
    if (certs::ca_exists(paths_)) {
        ca = certs::load_ca(paths_, error);
    } else {
        ca = certs::create_ca(paths_, certs::KeyType::Rsa2048, false, error);
        created_ = ca.has_value();
    }
    if (!ca) return;
    ca_ = std::move(*ca);
    auto key = certs::load_or_create_leaf_key(paths_, certs::key_type_of(ca_.key_pem), error);
    if (!key) return;
    leaf_key_ = std::move(*key);
    std::error_code ec;
    std::filesystem::create_directories(paths_.leaves(), ec);
}

std::optional<std::string> LeafContexts::leaf_pem(const std::string& host, std::string& error) {
    const std::string file = paths_.leaves() + "/" + host + ".pem";
    std::string pem;
    if (certs::read_file(file, pem)) {
        std::string ignored;
        const auto info = certs::describe_cert(pem, ignored);
        // Reused while it is this CA's and far from expiry; otherwise minted again.
        if (info && info->issuer == certs::describe_cert(ca_.cert_pem, ignored)->subject &&
            info->expires - std::chrono::system_clock::now() > kRenewBefore) {
            ++from_disk_;
            return pem;
        }
    }
    certs::MintOptions options;
    options.key_pem = leaf_key_;
    // Apple refuses TLS server certificates valid for more than 398 days (825 for private
    // CAs); a year suits every phone.
    options.validity = std::chrono::hours(24 * 365);
    auto minted = certs::mint_leaf(ca_, {host}, options);
    if (!minted.pair) {
        error = minted.error;
        return std::nullopt;
    }
    ++minted_;
    // Atomically, so a reader never sees half a certificate.
    const std::string tmp = file + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << minted.pair->cert_pem;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, file, ec);
    return minted.pair->cert_pem;
}

std::shared_ptr<net::ssl::context> LeafContexts::for_host(const std::string& host,
                                                          std::string& error) {
    if (!is_valid_leaf_host(host)) {
        error = "\"" + host + "\" is not a host name or address";
        return nullptr;
    }
    std::lock_guard lock(mutex_);
    if (auto it = contexts_.find(host); it != contexts_.end()) return it->second;
    // Minting is one signature (about a millisecond with the RSA CA): done inline, under the lock.
    auto pem = leaf_pem(host, error);
    if (!pem) return nullptr;
    net::ServerTlsOptions so;
    so.cert_chain_pem = *pem;
    so.key_pem = leaf_key_;
    so.versions = device_tls_;
    auto ctx = net::make_server_context(so, error);
    if (!ctx) return nullptr;
    SSL_CTX_set_tlsext_servername_callback(ctx->native_handle(), &LeafContexts::on_server_name);
    SSL_CTX_set_tlsext_servername_arg(ctx->native_handle(), this);
    net::attach_keylog(*ctx);
    std::shared_ptr<net::ssl::context> shared(std::move(ctx));
    if (contexts_.size() >= kMaxCachedContexts) contexts_.clear();  // sessions hold their own
    contexts_[host] = shared;
    return shared;
}

int LeafContexts::on_server_name(SSL* ssl, int*, void* arg) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name || !*name) return SSL_TLSEXT_ERR_OK;  // no SNI: the CONNECT host's leaf stays
    auto* self = static_cast<LeafContexts*>(arg);
    std::string error;
    auto ctx = self->for_host(name, error);
    // SSL_set_SSL_CTX takes its own reference: the context lives as long as the connection.
    if (ctx && ctx->native_handle() != SSL_get_SSL_CTX(ssl))
        SSL_set_SSL_CTX(ssl, ctx->native_handle());
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace eas::proxy
