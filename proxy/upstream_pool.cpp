#include "upstream_pool.hpp"

#include <sys/socket.h>

#include <cstdio>

#include "tls_context.hpp"

namespace eas::proxy {
namespace {

// An idle connection the server has closed shows EOF (or a TLS alert) as readable data.
bool looks_alive(UpstreamConnection& c) {
    auto& sock = c.stream.socket();
    if (!sock.is_open()) return false;
    char byte;
    const auto n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::string seconds_text(std::chrono::milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

}  // namespace

UpstreamPool::UpstreamPool(net::asio::any_io_executor ex, net::ssl::context* tls, PoolLimits limits,
                           ConnectionLimiter* limiter)
    : ex_(ex), tls_(tls), limits_(limits), limiter_(limiter) {
    if (limiter_) limiter_->on_pressure(ex_, [this](const std::string& o) { close_idle(o); });
}

net::awaitable<UpstreamPool::Lease> UpstreamPool::acquire(const Origin& origin) {
    Lease lease;
    const std::string key = origin.to_string();
    auto& idle = idle_[key];
    const auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
        auto conn = std::move(idle.back());
        idle.pop_back();
        if (now - conn->idle_since < limits_.idle_timeout && looks_alive(*conn)) {
            lease.conn = std::move(conn);
            lease.reused = true;
            co_return lease;
        }
        conn->stream.close();
    }

    ConnectionLimiter::Grant grant;
    if (limiter_) {
        grant = co_await limiter_->acquire(key, ex_);
        lease.queued = grant.waited;
        if (!grant.ok) {
            lease.over_limit = true;
            lease.error = "all " + std::to_string(limiter_->limit()) + " connections to " +
                          origin.authority() + " are busy (waited " + seconds_text(grant.waited) +
                          "; --upstream-max-connections)";
            co_return lease;
        }
    }

    // The timer's handler may run after this coroutine moved on: it owns what it touches.
    struct Attempt {
        explicit Attempt(net::asio::any_io_executor ex) : resolver(ex), socket(ex), deadline(ex) {}
        net::tcp::resolver resolver;
        net::tcp::socket socket;
        net::asio::steady_timer deadline;
        bool timed_out = false;
    };
    auto attempt = std::make_shared<Attempt>(ex_);
    attempt->deadline.expires_after(limits_.connect_timeout);
    attempt->deadline.async_wait([attempt](boost::system::error_code ec) {
        if (ec) return;
        attempt->timed_out = true;
        attempt->resolver.cancel();
        boost::system::error_code ignored;
        attempt->socket.close(ignored);
    });
    const std::string where = origin.authority();
    const std::string limit =
        "no answer within " + std::to_string(limits_.connect_timeout.count()) + " s";
    try {
        const auto endpoints = co_await attempt->resolver.async_resolve(
            origin.host, std::to_string(origin.port), net::use_awaitable);
        co_await net::asio::async_connect(attempt->socket, endpoints, net::use_awaitable);
    } catch (const boost::system::system_error& e) {
        attempt->deadline.cancel();
        lease.error =
            "connect to " + where + ": " + (attempt->timed_out ? limit : e.code().message());
        co_return lease;
    }
    attempt->socket.set_option(net::tcp::no_delay(true));
    auto conn = std::make_unique<UpstreamConnection>(std::move(attempt->socket),
                                                     origin.tls ? tls_ : nullptr);
    // The handshake gets a deadline of its own, on the connection's stream now.
    attempt->deadline.cancel();
    net::Watchdog watchdog(conn->stream, ex_);
    watchdog.expires_after(limits_.connect_timeout);
    try {
        co_await conn->stream.handshake_client(origin.host);
    } catch (const boost::system::system_error& e) {
        lease.error =
            "TLS handshake with " + where + ": " +
            (watchdog.fired() ? limit
                              : net::describe_tls_error(e.code(), conn->stream.native_ssl()));
        co_return lease;
    }
    watchdog.disarm();
    conn->slot = std::move(grant.slot);
    lease.conn = std::move(conn);
    co_return lease;
}

void UpstreamPool::release(const Origin& origin, std::unique_ptr<UpstreamConnection> conn) {
    const std::string key = origin.to_string();
    auto& idle = idle_[key];
    // Someone waits for a slot: closing this connection hands its slot over.
    if (idle.size() >= limits_.max_idle_per_origin || (limiter_ && limiter_->has_waiters(key))) {
        conn->stream.close();
        return;
    }
    conn->idle_since = std::chrono::steady_clock::now();
    idle.push_back(std::move(conn));
}

void UpstreamPool::close_idle(const std::string& origin) {
    const auto it = idle_.find(origin);
    if (it == idle_.end()) return;
    for (auto& conn : it->second) conn->stream.close();
    idle_.erase(it);
}

}  // namespace eas::proxy
