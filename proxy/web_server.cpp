#include "web_server.hpp"

#include <spdlog/spdlog.h>

#include "ca_page.hpp"
#include "http_io.hpp"
#include "listen_address.hpp"

namespace eas::proxy {
namespace {

constexpr auto kIoTimeout = std::chrono::seconds(30);

net::Message text_response(int status, const std::string& reason, const std::string& text) {
    net::Message m;
    m.head.is_request = false;
    m.head.status = status;
    m.head.reason = reason;
    m.head.headers = {{"Content-Type", "text/plain; charset=utf-8"}, {"Cache-Control", "no-store"}};
    m.body = text;
    return m;
}

}  // namespace

std::unique_ptr<WebServer> WebServer::start(net::asio::io_context& io, const std::string& listen,
                                            WebContent content,
                                            std::shared_ptr<spdlog::logger> log,
                                            std::string& error) {
    const auto endpoint = parse_listen(listen, error);
    if (!endpoint) {
        error = "--web: " + error;
        return nullptr;
    }
    if (!endpoint->address().is_loopback() && content.token.empty()) {
        error = "--web " + listen +
                ": the web listener shows decoded traffic; off loopback it needs --web-token";
        return nullptr;
    }
    std::unique_ptr<WebServer> server(new WebServer(io, std::move(content), std::move(log)));
    try {
        server->acceptor_.open(endpoint->protocol());
        server->acceptor_.set_option(net::tcp::acceptor::reuse_address(true));
        server->acceptor_.bind(*endpoint);
        server->acceptor_.listen();
    } catch (const boost::system::system_error& e) {
        error = "--web " + listen + ": " + e.code().message();
        return nullptr;
    }
    const auto bound = server->acceptor_.local_endpoint();
    const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                     : bound.address().to_string();
    server->url_ = "http://" + host + ":" + std::to_string(bound.port()) + "/";
    net::asio::co_spawn(io, server->accept_loop(), net::asio::detached);
    return server;
}

void WebServer::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

net::awaitable<void> WebServer::accept_loop() {
    for (;;) {
        net::tcp::socket socket(acceptor_.get_executor());
        try {
            co_await acceptor_.async_accept(socket, net::use_awaitable);
        } catch (const boost::system::system_error& e) {
            if (!acceptor_.is_open()) co_return;
            log_->warn("web: accept failed: {}", e.code().message());
            continue;
        }
        net::asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)),
                            net::asio::detached);
    }
}

net::awaitable<void> WebServer::serve(net::tcp::socket socket) {
    net::Stream stream(std::move(socket));
    const std::string peer = stream.remote();
    net::Watchdog watchdog(stream, co_await net::asio::this_coro::executor);
    http::Parser parser(http::Parser::Type::Request);
    std::string buffer;
    for (;;) {
        watchdog.expires_after(kIoTimeout);
        net::Message request;
        const auto rr = co_await net::read_message(stream, parser, buffer, request, 64 * 1024);
        if (!rr.ok) {
            if (!rr.closed && rr.http_status) {
                auto bad = text_response(rr.http_status, "Bad Request", rr.error + "\n");
                bad.head.headers.push_back({"Connection", "close"});
                try {
                    co_await net::write_message(stream, bad);
                } catch (const boost::system::system_error&) {
                }
            }
            break;
        }
        std::string path = request.head.target;
        net::Message response;
        if (request.head.method != "GET" && request.head.method != "HEAD") {
            response = text_response(405, "Method Not Allowed", "easproxy: GET only\n");
        } else if (path == "/" || path.rfind("/?", 0) == 0) {
            response = text_response(302, "Found", "");
            response.head.headers.push_back({"Location", "/ca/"});
        } else if (path.rfind("/ca/", 0) == 0 || path == "/ca") {
            const auto sub = path == "/ca" ? std::string("/") : path.substr(3);
            std::optional<PageResponse> page;
            if (!content_.ca_pem.empty()) page = ca_page(sub, content_.ca_pem, "/ca/");
            if (content_.ca_pem.empty()) {
                response = text_response(404, "Not Found",
                                         "easproxy: no CA to offer (reverse mode without a CA in "
                                         "--ca-dir: easproxy ca init, then easproxy ca leaf)\n");
            } else if (!page) {
                response = text_response(404, "Not Found", "easproxy: no such page\n");
            } else {
                response.head.is_request = false;
                response.head.status = page->status;
                response.head.reason = page->status == 200 ? "OK" : "Error";
                response.head.headers = {{"Content-Type", page->content_type},
                                         {"Cache-Control", "no-store"}};
                if (!page->filename.empty()) {
                    response.head.headers.push_back(
                        {"Content-Disposition", "attachment; filename=\"" + page->filename + "\""});
                }
                response.body = std::move(page->body);
            }
        } else {
            response = text_response(404, "Not Found", "easproxy: no such page\n");
        }
        if (request.head.method == "HEAD") {
            response.head.headers.push_back({"Content-Length", std::to_string(response.body.size())});
            response.body.clear();
        }
        log_->debug("web: {} {} {} -> {}", peer, request.head.method, path, response.head.status);
        try {
            co_await net::write_message(stream, response);
        } catch (const boost::system::system_error&) {
            break;
        }
        if (!request.head.keep_alive) break;
    }
    co_await stream.shutdown();
}

}  // namespace eas::proxy
