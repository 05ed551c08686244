// What the proxy core needs to know, filled from the command line and the config file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "http_parser.hpp"
#include "origin.hpp"

namespace eas::proxy {

struct Settings {
    Origin upstream;                             // reverse mode: where every request goes
    std::size_t decode_limit = 4 * 1024 * 1024;  // bytes of each body kept for decoding
    std::uint64_t max_request_body = 512ull * 1024 * 1024;  // larger uploads get 413
    http::ParserLimits limits{};
    // Waiting for the first byte of the next request on a kept-alive connection.
    std::chrono::seconds idle_timeout{600};
    // A device's TLS handshake. Short: a connection that never handshakes (a flood, a port
    // scan) holds a --max-connections slot until then.
    std::chrono::seconds handshake_timeout{10};
    // From the first byte of a request to the end of its head, and between body chunks.
    std::chrono::seconds request_timeout{60};
    // Waiting for the upstream's answer: Ping and Sync with Wait hold up to 3540 s.
    std::chrono::seconds response_timeout{3540 + 120};
    // A device that stops reading a response (slow client) is dropped after this long.
    std::chrono::seconds send_timeout{120};

    // Upstream connections.
    std::chrono::seconds upstream_connect_timeout{10};  // TCP connect and TLS handshake
    std::chrono::seconds upstream_idle_timeout{60};     // a pooled connection older is closed
    // Open connections per upstream, busy or idle (0: no cap). Each held Ping is one, so a cap
    // below the number of devices makes Pings wait: it protects a CAS from bursts.
    std::size_t max_upstream_connections = 0;
    std::chrono::seconds upstream_queue_timeout{30};  // waiting for a slot under the cap
};

}  // namespace eas::proxy
