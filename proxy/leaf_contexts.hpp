// Regular mode's certificates: the CA in --ca-dir (created on first use, key 0600), and a TLS
// server context per host a device reaches through CONNECT. A host's leaf is minted on first
// use (one signature: every leaf shares one key), kept in memory and under DIR/leaves/, and
// reused until 30 days before it expires. The name a device asks for in SNI wins over the
// CONNECT host (a device may CONNECT to an address and then name the server).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "asio.hpp"
#include "ca_store.hpp"
#include "tls_context.hpp"

namespace eas::proxy {

class LeafContexts {
  public:
    // Loads the CA in `ca_dir`, or creates it (RSA 2048: legacy devices often know RSA only).
    // Refuses a key readable by group or others. error set and the object unusable on failure.
    LeafContexts(std::string ca_dir, net::TlsVersions device_tls, std::string& error);

    // The server context for `host` (a name or an address), minting its leaf the first time.
    std::shared_ptr<net::ssl::context> for_host(const std::string& host, std::string& error);

    const std::string& ca_cert_path() const { return ca_cert_path_; }
    const certs::KeyPair& ca() const { return ca_; }
    bool created() const { return created_; }
    std::uint64_t minted() const { return minted_; }
    std::uint64_t loaded_from_disk() const { return from_disk_; }

  private:
    static int on_server_name(SSL* ssl, int* alert, void* arg);
    std::optional<std::string> leaf_pem(const std::string& host, std::string& error);

    certs::CaPaths paths_;
    std::string ca_cert_path_;
    certs::KeyPair ca_;
    std::string leaf_key_;
    net::TlsVersions device_tls_;
    bool created_ = false;
    std::atomic<std::uint64_t> minted_{0};
    std::atomic<std::uint64_t> from_disk_{0};
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<net::ssl::context>> contexts_;
};

// Whether `host` may name a leaf and its file: a DNS name or an IP literal, nothing else.
bool is_valid_leaf_host(const std::string& host);

}  // namespace eas::proxy
