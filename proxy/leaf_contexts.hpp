// Regular mode's certificates: the CA in --ca-dir (created on first use, key 0600), and a TLS
// server context per host a device CONNECTs to, minted on first use and kept in memory.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "asio.hpp"
#include "mint.hpp"

namespace eas::proxy {

class LeafContexts {
  public:
    // Loads DIR/ca-cert.pem and DIR/ca-key.pem, or creates them. Refuses a key readable by
    // group or others. error set and the object unusable on failure.
    LeafContexts(std::string ca_dir, std::string& error);

    // The server context for `host` (a name or an address), minting its leaf the first time.
    std::shared_ptr<net::ssl::context> for_host(const std::string& host, std::string& error);

    const std::string& ca_cert_path() const { return ca_cert_path_; }
    bool created() const { return created_; }

  private:
    std::string dir_;
    std::string ca_cert_path_;
    certs::KeyPair ca_;
    bool created_ = false;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<net::ssl::context>> contexts_;
};

}  // namespace eas::proxy
