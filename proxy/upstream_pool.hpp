// Connections to upstream CAS, kept alive between requests. One pool per I/O thread, so no
// locks: a connection is used by one flow at a time and returns here when its response ended
// cleanly with keep-alive.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connection_limiter.hpp"
#include "message_reader.hpp"
#include "origin.hpp"
#include "stream.hpp"

namespace eas::proxy {

struct UpstreamConnection {
    UpstreamConnection(net::tcp::socket s, net::ssl::context* tls)
        : stream(tls ? net::Stream(std::move(s), *tls) : net::Stream(std::move(s))),
          reader(stream, http::Parser::Type::Response) {}
    net::Stream stream;
    MessageReader reader;
    std::chrono::steady_clock::time_point idle_since{};
    std::uint64_t requests = 0;
    ConnectionLimiter::Slot slot;  // its place under --upstream-max-connections
};

struct PoolLimits {
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds idle_timeout{60};  // pooled connections older than this are closed
    std::size_t max_idle_per_origin = 32;
};

class UpstreamPool {
  public:
    // `limiter` (shared by the pools of every thread) may be null: no cap.
    UpstreamPool(net::asio::any_io_executor ex, net::ssl::context* tls, PoolLimits limits,
                 ConnectionLimiter* limiter = nullptr);

    struct Lease {
        std::unique_ptr<UpstreamConnection> conn;
        bool reused = false;
        std::string error;  // when conn is null: "connect to 10.0.0.5:443: Connection refused"
        bool over_limit = false;              // no slot under --upstream-max-connections in time
        std::chrono::milliseconds queued{0};  // waited for a slot under the cap
    };

    // A pooled connection that still looks alive, else a new one (resolve, connect, handshake).
    net::awaitable<Lease> acquire(const Origin& origin);
    // Back to the pool after a response that left the connection usable.
    void release(const Origin& origin, std::unique_ptr<UpstreamConnection> conn);
    // Closes the idle connections to one origin (another thread waits for a slot).
    void close_idle(const std::string& origin);

  private:
    net::asio::any_io_executor ex_;
    net::ssl::context* tls_;
    PoolLimits limits_;
    ConnectionLimiter* limiter_;
    std::map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace eas::proxy
