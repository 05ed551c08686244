// The transport steps for one origin, as separate checks so a failure names its layer: DNS
// (or the --connect-to rule that replaces it), TCP connect, TLS handshake (protocol, cipher)
// and Certificate (chain, names, dates, trust). They run on a connection of their own, before
// any request, so the certificate is examined even when verification would refuse it.
#pragma once

#include <chrono>
#include <vector>

#include "asio.hpp"
#include "connect_to.hpp"
#include "step.hpp"
#include "url.hpp"

namespace eas::probe {

struct OriginSettings {
    // The trust store (system + --ca); the handshake verifies nothing itself, the Certificate
    // step does afterwards with every error collected.
    net::ssl::context* tls = nullptr;
    std::vector<device::ConnectTo> connect_to;
    std::chrono::milliseconds timeout{30'000};
    bool insecure = false;  // certificate problems are warnings
};

// Adds a step for each check of `url`'s origin to `report`. False when the origin cannot be
// used: the device would stop there too.
net::awaitable<bool> check_origin(net::asio::any_io_executor ex, const device::Url& url,
                                  const OriginSettings& settings, Report& report);

// True once a DNS lookup was given up on a timeout: it is still blocked in getaddrinfo on
// Asio's resolver thread, which the io_context's destructor would wait for.
bool lookup_abandoned();

}  // namespace eas::probe
