// An HTTP/1.1 listener on one port, TLS or plain: accepts connections, reads requests, hands
// them to a handler and writes the answers, streaming BodySource bodies. One coroutine per
// connection on the single io_context; a Watchdog drops clients that stall mid-request, idle
// too long between requests or stop reading a response. Bad input on one connection closes
// only that connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include "asio.hpp"
#include "http_io.hpp"
#include "request.hpp"
#include "stream.hpp"

namespace fakecas {

struct ListenerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;                 // 0: any free port
    eas::net::ssl::context* tls = nullptr;  // nullptr: plain HTTP
    std::chrono::seconds io_timeout{30};    // a stalled TLS handshake, request body or write
    std::chrono::seconds idle_timeout{
        120};  // waiting for the next request on a kept-alive connection
    std::size_t max_body = 32 * 1024 * 1024;
    std::string log_name;  // "site=A cas=cas-a1" or "admin", for lines the listener writes itself
};

class Listener {
  public:
    using Handler =
        std::function<awaitable<Response>(const eas::net::Message&, asio::any_io_executor)>;

    Listener(asio::io_context& ioc, ListenerOptions options, Handler handler);
    ~Listener();

    // Binds the port (resolving port 0) without accepting yet; false with the reason.
    bool bind(std::string& error);
    // Accepts connections (after bind). Idempotent.
    bool resume(std::string& error);
    // Stops accepting, keeps the port bound (new connections are refused, the port stays
    // reserved) and drops open connections: a CAS that went down.
    void pause();
    // Shutdown: closes the port and every connection.
    void close();

    std::uint16_t port() const { return port_; }
    bool accepting() const { return accepting_; }
    std::size_t connections() const { return connections_.size(); }

  private:
    struct Connection;
    awaitable<void> accept_loop(std::uint64_t generation);
    awaitable<void> serve(std::shared_ptr<Connection> c);
    awaitable<void> write_response(Connection& c, eas::net::Watchdog& wd, Response& resp,
                                   std::uint64_t& sent);
    // Like net::read_message, plus what a server owes a client before the body: "100 Continue"
    // for Expect: 100-continue, and 413 as soon as a Content-Length is over the limit.
    awaitable<eas::net::ReadResult> read_request(Connection& c, eas::http::Parser& parser,
                                                 std::string& buffer, eas::net::Message& out);
    void drop_connections();
    bool open_bound(std::string& error);

    asio::io_context& ioc_;
    ListenerOptions options_;
    Handler handler_;
    eas::net::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    bool accepting_ = false;
    bool closed_ = false;
    std::uint64_t generation_ = 0;  // bumped on pause/close: a stale accept loop exits
    std::list<Connection*> connections_;
};

// "fake-cas: " + line, written to stderr in one piece.
void log_line(const std::string& line);

const char* reason_phrase(int status);

}  // namespace fakecas
