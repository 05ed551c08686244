// The device's HTTP client: one connection at a time, kept alive between exchanges like a real
// device, replaced when the origin changes (after a followed 451). Response bodies are streamed:
// the first `decode_limit` bytes are kept for decoding and the rest only counted, so a 100 MB
// attachment costs no more memory than a small one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asio.hpp"
#include "connect_to.hpp"
#include "http_parser.hpp"
#include "stream.hpp"
#include "url.hpp"

namespace eas::device {

struct Response {
    http::MessageHead head;
    std::string body;              // the first decode_limit body bytes (de-chunked, still encoded)
    std::uint64_t body_bytes = 0;  // every body byte received
    bool body_complete = true;     // `body` holds the whole body
};

struct SendResult {
    enum class Failure { None, Resolve, Connect, Tls, Io, Timeout, Aborted };
    Failure failure = Failure::None;
    std::string error;  // in words, when failure != None
    Response response;
    std::uint64_t bytes_sent = 0;  // request body bytes
    bool reused = false;           // went over a kept-alive connection
    std::chrono::milliseconds elapsed{0};
    bool ok() const { return failure == Failure::None; }
};

class Connection {
  public:
    struct Settings {
        net::ssl::context* tls = nullptr;           // for https origins
        std::chrono::milliseconds timeout{60'000};  // connect; idle time while reading
        std::size_t decode_limit = 4 * 1024 * 1024;
        std::optional<Url>
            proxy;  // http:// forward proxy: CONNECT for https, absolute-form for http
        // --connect-to: where to dial instead of the URL's host:port (the name still goes in
        // Host, SNI and the certificate check). Not used with a proxy, which dials for us.
        std::vector<ConnectTo> connect_to;
    };
    Connection(net::asio::any_io_executor ex, Settings settings);
    ~Connection();

    // Sends one request to `url`'s origin (the head already names the target) and reads the
    // whole response. `hold` is how long the server may legitimately keep the request (Ping
    // HeartbeatInterval, Sync Wait), added to the read timeout.
    net::awaitable<SendResult> send(const Url& url, const http::MessageHead& head,
                                    std::string_view body, std::chrono::milliseconds hold);

    // Ends the exchange in progress at once (SIGINT during a held Ping): the pending operation
    // fails and send() reports Failure::Aborted. Safe to call when idle.
    void abort();
    void close();
    bool busy() const { return busy_; }

    // Connection events in words ("connected to mail.contoso.com:443 (TLSv1.3)", "... via proxy
    // 10.0.0.1:8080 ..."), for --verbose.
    std::function<void(const std::string&)> on_note;

  private:
    net::awaitable<SendResult> attempt(const Url& url, const http::MessageHead& head,
                                       std::string_view body, std::chrono::milliseconds hold,
                                       bool& retry_fresh);
    net::awaitable<SendResult::Failure> connect(const Url& url, std::string& error);
    net::awaitable<SendResult::Failure> open_tunnel(const Url& url, const net::Watchdog& watchdog,
                                                    std::string& error);
    void note(const std::string& text) {
        if (on_note) on_note(text);
    }

    net::asio::any_io_executor ex_;
    Settings settings_;
    net::tcp::resolver resolver_;
    std::unique_ptr<net::Stream> stream_;
    std::unique_ptr<http::Parser> parser_;
    std::string origin_;  // of stream_
    std::string carry_;   // bytes read past the end of the last response
    std::vector<char> buffer_;
    bool busy_ = false;
    bool aborted_ = false;
};

}  // namespace eas::device
