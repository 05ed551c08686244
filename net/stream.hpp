// A connection that is plain TCP or TLS over TCP, behind one interface, so the proxy and the
// tools handle http:// and https:// peers with the same code.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "asio.hpp"
#include "tls_socket.hpp"

namespace eas::net {

class Stream {
  public:
    explicit Stream(tcp::socket socket) : s_(std::move(socket)) {}
    Stream(tcp::socket socket, ssl::context& ctx)
        : s_(std::in_place_type<TlsStream>, std::move(socket), ctx) {}

    bool is_tls() const { return std::holds_alternative<TlsStream>(s_); }
    // After CONNECT: the same TCP connection now carries TLS (the context must outlive this).
    void upgrade_to_tls(ssl::context& ctx);
    tcp::socket& socket();
    const tcp::socket& socket() const;
    SSL* native_ssl();  // nullptr for plain TCP

    // TLS handshakes; `server_name` sets SNI and the name the certificate must match.
    awaitable<void> handshake_server();
    awaitable<void> handshake_client(const std::string& server_name);

    awaitable<std::size_t> read_some(asio::mutable_buffer buffer);
    // Returns once read_some has something to return (data, the end, or an error).
    awaitable<void> wait_readable();
    awaitable<void> write(asio::const_buffer buffer);
    awaitable<void> write(const std::vector<asio::const_buffer>& buffers);

    // TLS close_notify where possible, then the socket; never throws.
    awaitable<void> shutdown();
    void close();

    std::string remote() const;  // "203.0.113.5:51234", or "" once closed

  private:
    using TlsStream = TlsSocket;
    std::variant<tcp::socket, TlsStream> s_;
};

// Closes a stream's socket when a deadline passes: the pending read or write then fails with
// operation_aborted, which the owner reports as a timeout. Re-arm with expires_after().
// The proxy moves the deadline on every body chunk; re-arming an Asio timer each time costs a
// cancelled handler and a new wait. Here a later deadline only updates a time point: the timer,
// when it fires early, looks again and waits for the rest.
class Watchdog {
  public:
    Watchdog(Stream& stream, asio::any_io_executor ex);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;
    void expires_after(std::chrono::steady_clock::duration d);
    void disarm();
    bool fired() const { return state_->fired; }
    const bool* fired_flag() const {
        return &state_->fired;
    }  // stays valid while the watchdog lives

  private:
    struct State {
        explicit State(asio::any_io_executor ex) : timer(std::move(ex)) {}
        asio::steady_timer timer;
        std::chrono::steady_clock::time_point deadline =
            std::chrono::steady_clock::time_point::max();
        std::uint64_t generation = 0;  // of the pending wait; a re-armed timer's old wait ignores
        bool waiting = false;
        bool fired = false;
        Stream* stream = nullptr;  // null once the watchdog is gone: a queued expiry does nothing
    };
    static void wait(const std::shared_ptr<State>& state);
    std::shared_ptr<State> state_;
};

}  // namespace eas::net
