#include "connection.hpp"

#include "tls_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace eas::device {
namespace {

using Failure = SendResult::Failure;
namespace asio = net::asio;

std::string seconds_text(std::chrono::milliseconds d) {
    char out[32];
    std::snprintf(out, sizeof out, "%.3g s", static_cast<double>(d.count()) / 1000.0);
    return out;
}

bool is_eof(const boost::system::error_code& ec) {
    return ec == asio::error::eof || ec == net::ssl::error::stream_truncated ||
           ec == asio::error::connection_reset;
}

// The host name check also runs inside OpenSSL's own chain verification (besides Asio's
// callback that Stream installs), so a mismatch is reported as such instead of an
// "unspecified certificate verification error".
void check_host_in_openssl(net::Stream& stream, const std::string& host) {
    SSL* ssl = stream.native_ssl();
    if (!ssl) return;
    boost::system::error_code ec;
    net::asio::ip::make_address(host, ec);
    if (!ec) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    } else {
        SSL_set1_host(ssl, host.c_str());
    }
}

std::string tls_failure(const boost::system::error_code& ec, net::Stream& stream,
                        const std::string& host) {
    SSL* ssl = stream.native_ssl();
    const long result = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        return ec.message() + " (the certificate is not valid for " + host + ")";
    }
    return net::describe_tls_error(ec, ssl);
}

}  // namespace

Connection::Connection(asio::any_io_executor ex, Settings settings)
    : ex_(ex), settings_(settings), resolver_(ex), buffer_(64 * 1024) {}

Connection::~Connection() {
    close();
}

void Connection::close() {
    if (stream_) stream_->close();
    stream_.reset();
    parser_.reset();
    origin_.clear();
    carry_.clear();
}

void Connection::abort() {
    if (!busy_) return;
    aborted_ = true;
    resolver_.cancel();
    if (stream_) stream_->close();  // the pending read or write fails with operation_aborted
}

net::awaitable<SendResult> Connection::send(const Url& url, const http::MessageHead& head,
                                            std::string_view body, std::chrono::milliseconds hold) {
    busy_ = true;
    aborted_ = false;
    const auto start = std::chrono::steady_clock::now();
    bool retry_fresh = false;
    SendResult r = co_await attempt(url, head, body, hold, retry_fresh);
    if (retry_fresh && !aborted_) {
        // A server may close an idle kept-alive connection just as the device reuses it; like
        // every HTTP client, send once more on a new connection when nothing came back.
        note("the kept-alive connection to " + url.origin() +
             " was closed by the server; reconnecting");
        close();
        r = co_await attempt(url, head, body, hold, retry_fresh);
    }
    r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    busy_ = false;
    co_return r;
}

net::awaitable<Failure> Connection::connect(const Url& url, std::string& error) {
    // Through a proxy the device resolves and dials only the proxy; the proxy resolves the
    // target, as for a phone whose Wi-Fi names a proxy.
    const Url& peer = settings_.proxy ? *settings_.proxy : url;
    const DialTarget dial = settings_.proxy
                                ? DialTarget{peer.host, peer.port, nullptr}
                                : dial_target(settings_.connect_to, peer.host, peer.port);
    const std::string where = url.authority();
    const std::string via = settings_.proxy ? " via proxy " + peer.authority()
                            : dial.rule ? " via " + dial.host + ":" + std::to_string(dial.port) +
                                              " (--connect-to " + to_string(*dial.rule) + ")"
                                        : "";
    const std::string peer_name = settings_.proxy ? "proxy " + peer.authority()
                                  : dial.rule     ? where + via
                                                  : where;
    const bool tunnel = settings_.proxy && url.tls();
    net::tcp::resolver::results_type endpoints;
    try {
        endpoints = co_await resolver_.async_resolve(dial.host, std::to_string(dial.port),
                                                     net::use_awaitable);
    } catch (const boost::system::system_error& e) {
        error = "cannot resolve " + std::string(settings_.proxy ? "proxy " : "") + dial.host +
                ": " + e.code().message();
        co_return aborted_ ? Failure::Aborted : Failure::Resolve;
    }
    if (url.tls() && !settings_.tls) {
        error = "no TLS context for " + url.origin();
        co_return Failure::Tls;
    }
    if (url.tls() && !tunnel) {
        stream_ = std::make_unique<net::Stream>(net::tcp::socket(ex_), *settings_.tls);
        check_host_in_openssl(*stream_, url.host);
    } else {
        // A tunnel starts as plain TCP: TLS begins once the proxy has accepted CONNECT.
        stream_ = std::make_unique<net::Stream>(net::tcp::socket(ex_));
    }
    parser_ = std::make_unique<http::Parser>(http::Parser::Type::Response);
    carry_.clear();

    Failure failure = Failure::None;
    {
        net::Watchdog watchdog(*stream_, ex_);
        watchdog.expires_after(settings_.timeout);
        try {
            co_await asio::async_connect(stream_->socket(), endpoints, net::use_awaitable);
        } catch (const boost::system::system_error& e) {
            failure = aborted_           ? Failure::Aborted
                      : watchdog.fired() ? Failure::Timeout
                                         : Failure::Connect;
            error =
                "cannot connect to " + peer_name + ": " +
                (failure == Failure::Timeout ? "no answer within " + seconds_text(settings_.timeout)
                                             : e.code().message());
        }
        if (failure == Failure::None && tunnel) {
            failure = co_await open_tunnel(url, watchdog, error);
            if (failure == Failure::None) {
                stream_->upgrade_to_tls(*settings_.tls);
                check_host_in_openssl(*stream_, url.host);
            }
        }
        if (failure == Failure::None) {
            try {
                // SNI and the certificate check name the target, never the proxy.
                co_await stream_->handshake_client(url.host);
            } catch (const boost::system::system_error& e) {
                failure = aborted_           ? Failure::Aborted
                          : watchdog.fired() ? Failure::Timeout
                                             : Failure::Tls;
                error = "TLS handshake with " + where + via + " failed: " +
                        (failure == Failure::Timeout
                             ? "no answer within " + seconds_text(settings_.timeout)
                             : tls_failure(e.code(), *stream_, url.host));
            }
        }
    }
    if (failure != Failure::None) {
        close();
        co_return failure;
    }
    origin_ = url.origin();
    std::string how = "plain TCP";
    if (SSL* ssl = stream_->native_ssl())
        how = std::string(SSL_get_version(ssl)) + ", " + SSL_get_cipher_name(ssl);
    if (settings_.proxy && !url.tls()) {
        note("connected to " + peer_name + " (" + how + "; requests for " + where +
             " go in absolute form)");
    } else {
        note("connected to " + where + via + " (" + how + ")");
    }
    co_return Failure::None;
}

// Asks the proxy for a tunnel to the target (CONNECT host:port), before TLS. The answer's head
// is read a byte at a time: whatever follows it on the socket already belongs to the TLS
// session, so nothing may be read ahead (curl does the same). A refusal carries its reason in
// the body, which is read (briefly) for the error message.
net::awaitable<Failure> Connection::open_tunnel(const Url& url, const net::Watchdog& watchdog,
                                                std::string& error) {
    constexpr std::size_t kMaxHead = 16 * 1024;
    constexpr std::size_t kMaxReason = 200;
    const std::string proxy = "proxy " + settings_.proxy->authority();
    const std::string target = url.authority();
    auto io_failure = [&](const boost::system::system_error& e) {
        const Failure f = aborted_           ? Failure::Aborted
                          : watchdog.fired() ? Failure::Timeout
                                             : Failure::Connect;
        error = "CONNECT " + target + " through " + proxy + " failed: " +
                (f == Failure::Timeout ? "no answer within " + seconds_text(settings_.timeout)
                 : is_eof(e.code())    ? "the proxy closed the connection"
                                       : e.code().message());
        return f;
    };

    std::string head_bytes;
    try {
        const std::string request =
            "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n";
        co_await stream_->write(asio::buffer(request));
        while (!head_bytes.ends_with("\r\n\r\n")) {
            if (head_bytes.size() >= kMaxHead) {
                error = proxy + " answered CONNECT " + target + " with a head over " +
                        std::to_string(kMaxHead / 1024) + " KiB";
                co_return Failure::Connect;
            }
            char c = 0;
            co_await stream_->read_some(asio::buffer(&c, 1));
            head_bytes += c;
        }
    } catch (const boost::system::system_error& e) {
        co_return io_failure(e);
    }

    http::Parser parser(http::Parser::Type::Response);
    std::vector<http::Event> events;
    auto f = parser.feed(head_bytes, events);
    if (f.error) {
        error =
            proxy + " answered CONNECT " + target + " with a malformed head: " + f.error->reason;
        co_return Failure::Connect;
    }
    const http::MessageHead head = parser.head();
    if (head.status >= 200 && head.status < 300) co_return Failure::None;

    // One byte more than a reason may have, so that a longer line shows as such.
    std::string body;
    auto keep = [&body](const std::vector<http::Event>& from) {
        for (const auto& e : from) {
            const std::size_t room = kMaxReason + 1 - std::min(kMaxReason + 1, body.size());
            if (e.kind == http::EventKind::Body) body.append(e.body.substr(0, room));
        }
    };
    bool done = f.message_complete;
    while (!done && body.find('\n') == std::string::npos && body.size() <= kMaxReason) {
        std::size_t n = 0;
        try {
            n = co_await stream_->read_some(asio::buffer(buffer_));
        } catch (const boost::system::system_error&) {
            events.clear();
            parser.finish(events);
            keep(events);
            break;
        }
        events.clear();
        f = parser.feed(std::string_view(buffer_.data(), n), events);
        keep(events);
        done = f.message_complete || f.error.has_value();
    }
    std::string reason = body.substr(0, body.find('\n'));
    while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.back())))
        reason.pop_back();
    // A long line or markup (an HTML error page) is no reason in words.
    if (reason.size() > kMaxReason || (!reason.empty() && reason.front() == '<')) reason.clear();
    error = proxy + " refused CONNECT " + target + ": HTTP " + std::to_string(head.status) +
            (head.reason.empty() ? "" : " " + head.reason) +
            (reason.empty() ? "" : " (" + reason + ")");
    co_return Failure::Connect;
}

net::awaitable<SendResult> Connection::attempt(const Url& url, const http::MessageHead& head,
                                               std::string_view body,
                                               std::chrono::milliseconds hold, bool& retry_fresh) {
    SendResult r;
    retry_fresh = false;
    const bool reuse = stream_ && origin_ == url.origin();
    if (!reuse) {
        close();
        r.failure = co_await connect(url, r.error);
        if (!r.ok()) co_return r;
    }
    r.reused = reuse;

    const std::string origin = url.origin();
    std::string head_text;
    if (settings_.proxy && !url.tls()) {
        // Without a tunnel the proxy learns where a request goes from its absolute-form target
        // (RFC 9112 3.2.2); the Host header stays as it is.
        http::MessageHead absolute = head;
        absolute.target = url.scheme + "://" + url.host_header() + head.target;
        head_text = http::serialize_head(absolute);
    } else {
        head_text = http::serialize_head(head);
    }
    Failure failure = Failure::None;
    std::string error;
    {
        net::Watchdog watchdog(*stream_, ex_);
        watchdog.expires_after(settings_.timeout);
        try {
            std::vector<asio::const_buffer> buffers{asio::buffer(head_text)};
            if (!body.empty()) buffers.push_back(asio::buffer(body.data(), body.size()));
            co_await stream_->write(buffers);
        } catch (const boost::system::system_error& e) {
            failure = aborted_           ? Failure::Aborted
                      : watchdog.fired() ? Failure::Timeout
                                         : Failure::Io;
            error = "sending the request to " + origin + " failed: " + e.code().message();
            retry_fresh = reuse && failure == Failure::Io;
        }
        if (failure == Failure::None) r.bytes_sent = body.size();

        // The first answer may take as long as the server may hold the request; once bytes
        // flow, the timeout is an idle limit so a slow 100 MB download is not cut short.
        watchdog.expires_after(settings_.timeout + hold);
        std::vector<http::Event> events;
        bool got_bytes = false;
        bool complete = failure != Failure::None;
        while (!complete) {
            std::string_view data;
            const bool from_carry = !carry_.empty();
            if (from_carry) {
                data = carry_;
            } else {
                boost::system::error_code ec;
                std::size_t n = 0;
                try {
                    n = co_await stream_->read_some(asio::buffer(buffer_));
                } catch (const boost::system::system_error& e) {
                    ec = e.code();
                }
                if (ec) {
                    if (aborted_) {
                        failure = Failure::Aborted;
                        error = "interrupted";
                    } else if (watchdog.fired()) {
                        failure = Failure::Timeout;
                        error = got_bytes ? "the response from " + origin + " stalled for " +
                                                seconds_text(settings_.timeout)
                                          : "no answer from " + origin + " within " +
                                                seconds_text(settings_.timeout + hold);
                    } else if (is_eof(ec) && !got_bytes) {
                        failure = Failure::Io;
                        error = origin + " closed the connection without answering";
                        retry_fresh = reuse;
                    } else if (is_eof(ec)) {
                        // A body delimited by the connection's end is complete now; anything
                        // else was cut short.
                        events.clear();
                        const auto f = parser_->finish(events);
                        for (const auto& e : events) {
                            if (e.kind != http::EventKind::Body) continue;
                            r.response.body_bytes += e.body.size();
                            const std::size_t room =
                                settings_.decode_limit -
                                std::min(settings_.decode_limit, r.response.body.size());
                            r.response.body.append(e.body.substr(0, room));
                            if (e.body.size() > room) r.response.body_complete = false;
                        }
                        if (f.message_complete && !f.error) {
                            r.response.head = parser_->head();
                            r.response.head.keep_alive = false;
                            complete = true;
                            continue;
                        }
                        failure = Failure::Io;
                        error = "reading the response from " + origin + ": " +
                                (f.error ? f.error->reason : std::string("connection closed"));
                    } else {
                        failure = Failure::Io;
                        error = "reading the response from " + origin + ": " + ec.message();
                    }
                    break;
                }
                got_bytes = true;
                data = std::string_view(buffer_.data(), n);
                watchdog.expires_after(settings_.timeout);
            }

            events.clear();
            const auto f = parser_->feed(data, events);
            for (const auto& e : events) {
                if (e.kind != http::EventKind::Body) continue;
                r.response.body_bytes += e.body.size();
                const std::size_t room = settings_.decode_limit -
                                         std::min(settings_.decode_limit, r.response.body.size());
                r.response.body.append(e.body.substr(0, room));
                if (e.body.size() > room) r.response.body_complete = false;
            }
            if (f.error) {
                failure = Failure::Io;
                error = "malformed response from " + origin + ": " + f.error->reason + " (byte " +
                        std::to_string(f.error->offset) + ")";
                break;
            }
            const std::string rest(data.substr(f.consumed));
            carry_ = rest;  // bytes past this response (none from a well-behaved server)
            if (f.message_complete) {
                const auto& h = parser_->head();
                if (h.status >= 100 && h.status < 200 && h.status != 101) {
                    r.response = Response{};  // 100 Continue and friends are not the answer
                    continue;
                }
                r.response.head = h;
                complete = true;
            }
        }
    }
    if (failure != Failure::None) {
        r.failure = failure;
        r.error = error;
        close();
        co_return r;
    }
    if (!r.response.head.keep_alive) close();
    co_return r;
}

}  // namespace eas::device
