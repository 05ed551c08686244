// The --web listener: easproxy's own pages, served on an address of their own (loopback by
// default; anywhere else only with --web-token). The live view (flows pushed over Server-Sent
// Events, flow details, devices, redirect bindings), /metrics for Prometheus, and the CA
// install page under /ca/ (public: phones fetch it without the token).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "asio.hpp"
#include "http_io.hpp"

namespace spdlog {
class logger;
}

namespace eas::proxy {

class Bindings;
class LiveFlows;
class RedirectCounters;
class TraceWriter;

struct WebContent {
    std::string ca_pem;  // the CA devices should trust ("" when easproxy has none to offer)
    // Required (?token= once, then a cookie, or Authorization: Bearer) for every page but /ca/.
    std::string token;
    // The live view and /metrics; without it the listener serves the CA page only.
    std::shared_ptr<LiveFlows> live;
    Bindings* bindings = nullptr;  // shown, and cleared from the page
    std::shared_ptr<const RedirectCounters> counters;
    std::shared_ptr<const TraceWriter> trace;  // write counts in /metrics (with --trace)
};

class WebServer {
  public:
    // Binds `listen` ("127.0.0.1:8081"); refuses a non-loopback address without a token.
    static std::unique_ptr<WebServer> start(net::asio::io_context& io, const std::string& listen,
                                            WebContent content, std::shared_ptr<spdlog::logger> log,
                                            std::string& error);
    void stop();
    std::string url() const { return url_; }
    // The device connections open, for /metrics (owned by the caller, outlives the server).
    void set_open_connections(const std::atomic<int>* n) { open_connections_ = n; }

  private:
    WebServer(net::asio::io_context& io, WebContent content, std::shared_ptr<spdlog::logger> log);
    net::awaitable<void> accept_loop();
    net::awaitable<void> serve(net::tcp::socket socket);
    // Routes one request; `stream` is taken over (and true returned) for Server-Sent Events.
    net::awaitable<bool> respond(net::Stream& stream, net::Watchdog& watchdog,
                                 const net::Message& request, net::Message& response);
    net::awaitable<void> events(net::Stream& stream, net::Watchdog& watchdog,
                                const net::Message& request, std::string set_cookie);
    net::Message api(const net::Message& request, std::string_view path);
    std::string metrics_text() const;

    net::tcp::acceptor acceptor_;
    WebContent content_;
    std::shared_ptr<spdlog::logger> log_;
    std::string url_;
    std::string csrf_;  // per process, embedded in the page, required on POSTs
    const std::atomic<int>* open_connections_ = nullptr;
};

}  // namespace eas::proxy
