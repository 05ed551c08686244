// The --web listener: easproxy's own pages, served on an address of their own (loopback by
// default; anywhere else only with --web-token). For now the CA install page under /ca/.
#pragma once

#include <memory>
#include <string>

#include "asio.hpp"

namespace spdlog {
class logger;
}

namespace eas::proxy {

struct WebContent {
    std::string ca_pem;  // the CA devices should trust ("" when easproxy has none to offer)
    std::string token;   // required (?token= or Authorization: Bearer) for pages other than /ca/
};

class WebServer {
  public:
    // Binds `listen` ("127.0.0.1:8081"); refuses a non-loopback address without a token.
    static std::unique_ptr<WebServer> start(net::asio::io_context& io, const std::string& listen,
                                            WebContent content,
                                            std::shared_ptr<spdlog::logger> log,
                                            std::string& error);
    void stop();
    std::string url() const { return url_; }

  private:
    WebServer(net::asio::io_context& io, WebContent content, std::shared_ptr<spdlog::logger> log)
        : acceptor_(io), content_(std::move(content)), log_(std::move(log)) {}
    net::awaitable<void> accept_loop();
    net::awaitable<void> serve(net::tcp::socket socket);

    net::tcp::acceptor acceptor_;
    WebContent content_;
    std::shared_ptr<spdlog::logger> log_;
    std::string url_;
};

}  // namespace eas::proxy
