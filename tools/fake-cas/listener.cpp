#include "listener.hpp"

#include "tls_context.hpp"

#include <unistd.h>

#include <iostream>
#include <vector>

namespace fakecas {

namespace net = eas::net;
using net::tcp;

struct Listener::Connection {
    explicit Connection(net::Stream s) : stream(std::move(s)) {}
    net::Stream stream;
    std::string peer;
};

namespace {

constexpr std::size_t kChunk = 64 * 1024;

}  // namespace

void log_line(const std::string& line) {
    const std::string out = "fake-cas: " + line + "\n";
    // One write per line: lines never interleave even when stderr is shared with a parent.
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
}

const char* reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 413:
            return "Payload Too Large";
        case 431:
            return "Request Header Fields Too Large";
        case 449:
            return "Retry With";
        case 451:
            return "Redirect";  // Exchange's own wording varies; clients read the code
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        default:
            return "Status";
    }
}

Listener::Listener(asio::io_context& ioc, ListenerOptions options, Handler handler)
    : ioc_(ioc), options_(std::move(options)), handler_(std::move(handler)), acceptor_(ioc) {}

Listener::~Listener() {
    boost::system::error_code ec;
    acceptor_.close(ec);
}

bool Listener::open_bound(std::string& error) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
        error = "bad listen address " + options_.host + ": " + ec.message();
        return false;
    }
    const tcp::endpoint ep(address, port_ ? port_ : options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (ec) {
        error = "cannot listen on " + options_.host + ":" + std::to_string(ep.port()) + ": " +
                ec.message();
        acceptor_.close(ec);
        return false;
    }
    port_ = acceptor_.local_endpoint(ec).port();
    return true;
}

bool Listener::bind(std::string& error) {
    return open_bound(error);
}

bool Listener::resume(std::string& error) {
    if (closed_) return false;
    if (accepting_) return true;
    if (!acceptor_.is_open() && !open_bound(error)) return false;
    boost::system::error_code ec;
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        error =
            "cannot listen on " + options_.host + ":" + std::to_string(port_) + ": " + ec.message();
        return false;
    }
    accepting_ = true;
    asio::co_spawn(ioc_, accept_loop(++generation_), asio::detached);
    return true;
}

void Listener::pause() {
    if (!accepting_) return;
    accepting_ = false;
    ++generation_;
    boost::system::error_code ec;
    acceptor_.close(ec);
    drop_connections();
    // Bound but not listening: connect() is refused, and the port stays ours for resume().
    std::string error;
    if (!open_bound(error))
        log_line(options_.log_name + " " + error + " (will retry when the site comes up)");
}

void Listener::close() {
    closed_ = true;
    accepting_ = false;
    ++generation_;
    boost::system::error_code ec;
    acceptor_.close(ec);
    drop_connections();
}

void Listener::drop_connections() {
    for (Connection* c : connections_) c->stream.close();
}

awaitable<void> Listener::accept_loop(std::uint64_t generation) {
    while (generation == generation_) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor_.async_accept(asio::redirect_error(net::use_awaitable, ec));
        if (generation != generation_) break;  // paused or closed while waiting
        if (ec) {
            if (ec == asio::error::operation_aborted) break;
            // EMFILE and the like: note it and keep serving the connections we have.
            log_line(options_.log_name + " accept failed: " + ec.message());
            asio::steady_timer pause_timer(ioc_, std::chrono::milliseconds(100));
            co_await pause_timer.async_wait(asio::redirect_error(net::use_awaitable, ec));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto c = options_.tls
                     ? std::make_shared<Connection>(net::Stream(std::move(socket), *options_.tls))
                     : std::make_shared<Connection>(net::Stream(std::move(socket)));
        c->peer = c->stream.remote();
        asio::co_spawn(ioc_, serve(std::move(c)), asio::detached);
    }
}

awaitable<void> Listener::write_response(Connection& c, net::Watchdog& wd, Response& resp,
                                         std::uint64_t& sent) {
    eas::http::MessageHead head;
    head.is_request = false;
    head.status = resp.status;
    head.reason = reason_phrase(resp.status);
    head.headers = resp.headers;
    const std::uint64_t length = resp.stream ? resp.stream->size() : resp.body.size();
    head.headers.push_back({"Content-Length", std::to_string(length)});
    const std::string head_bytes = eas::http::serialize_head(head);
    wd.expires_after(options_.io_timeout);
    if (!resp.stream) {
        std::vector<asio::const_buffer> buffers{asio::buffer(head_bytes)};
        if (!resp.body.empty()) buffers.push_back(asio::buffer(resp.body));
        co_await c.stream.write(buffers);
        sent = resp.body.size();
    } else {
        co_await c.stream.write(asio::buffer(head_bytes));
        // One chunk in memory at a time; each write re-arms the watchdog, so a slow reader is
        // fine and a reader that stops is dropped after io_timeout.
        std::vector<char> chunk(kChunk);
        while (const std::size_t n = resp.stream->next(chunk)) {
            wd.expires_after(options_.io_timeout);
            co_await c.stream.write(asio::buffer(chunk.data(), n));
            sent += n;
        }
    }
    wd.disarm();
}

awaitable<net::ReadResult> Listener::read_request(Connection& c, eas::http::Parser& parser,
                                                  std::string& buffer, net::Message& out) {
    net::ReadResult r;
    out = net::Message{};
    std::vector<eas::http::Event> events;
    std::vector<char> chunk(16384);
    while (true) {
        if (buffer.empty()) {
            boost::system::error_code ec;
            std::size_t n = 0;
            try {
                n = co_await c.stream.read_some(asio::buffer(chunk));
            } catch (const boost::system::system_error& e) {
                ec = e.code();
            }
            if (ec) {
                const bool eof = ec == asio::error::eof || ec == net::ssl::error::stream_truncated;
                if (eof && !parser.in_message()) {
                    r.closed = true;  // the client closed between requests
                } else {
                    r.error = eof ? "connection closed in the middle of a request" : ec.message();
                }
                co_return r;
            }
            buffer.assign(chunk.data(), n);
        }
        events.clear();
        const auto f = parser.feed(buffer, events);
        for (const auto& e : events) {
            if (e.kind == eas::http::EventKind::Head) {
                const auto& h = parser.head();
                if (h.content_length && *h.content_length > options_.max_body) {
                    r.error = "a body of " + std::to_string(*h.content_length) +
                              " bytes is over --max-body";
                    r.http_status = 413;
                    co_return r;
                }
                const bool body_follows = h.chunked || h.content_length.value_or(0) > 0;
                if (body_follows && eas::http::iequals(h.value_or("Expect"), "100-continue")) {
                    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                    try {
                        co_await c.stream.write(asio::buffer(kContinue.data(), kContinue.size()));
                    } catch (const boost::system::system_error& failure) {
                        r.error = failure.code().message();
                        co_return r;
                    }
                }
            } else if (e.kind == eas::http::EventKind::Body) {
                if (out.body.size() + e.body.size() > options_.max_body) {
                    r.error = "body larger than --max-body (" + std::to_string(options_.max_body) +
                              " bytes)";
                    r.http_status = 413;
                    co_return r;
                }
                out.body.append(e.body);  // views into `buffer`: copy before it changes
            }
        }
        if (f.error) {
            r.error = f.error->reason;
            r.http_status = f.error->http_status;
            co_return r;
        }
        buffer.erase(0, f.consumed);
        if (f.message_complete) {
            out.head = parser.head();
            r.ok = true;
            co_return r;
        }
    }
}

awaitable<void> Listener::serve(std::shared_ptr<Connection> c) {
    // Registered while it lives, so pause() and close() can drop it; the guard also runs if
    // something throws out of the coroutine.
    connections_.push_back(c.get());
    struct Registration {
        std::list<Connection*>& list;
        std::list<Connection*>::iterator it;
        ~Registration() { list.erase(it); }
    } registration{connections_, std::prev(connections_.end())};
    auto ex = co_await asio::this_coro::executor;
    net::Watchdog wd(c->stream, ex);
    bool clean = true;
    try {
        wd.expires_after(options_.io_timeout);
        co_await c->stream.handshake_server();
        wd.disarm();
    } catch (const boost::system::system_error& e) {
        if (!closed_) {
            log_line(options_.log_name + " peer=" + c->peer + " TLS handshake failed: " +
                     (wd.fired() ? std::string("timed out")
                                 : net::describe_tls_error(e.code(), c->stream.native_ssl())));
        }
        clean = false;
    }

    eas::http::Parser parser(eas::http::Parser::Type::Request);
    std::string buffer;
    while (clean && !closed_) {
        // The idle timeout covers the wait for the next request and reading it; held Ping and
        // Sync requests run with the watchdog off.
        wd.expires_after(options_.idle_timeout);
        net::Message request;
        const auto rr = co_await read_request(*c, parser, buffer, request);
        wd.disarm();
        if (rr.closed) break;
        if (!rr.ok) {
            clean = false;
            if (wd.fired()) {
                if (parser.in_message() || !buffer.empty()) {
                    log_line(options_.log_name + " peer=" + c->peer +
                             " dropped: stalled in the middle of a request");
                }
                break;
            }
            if (!rr.http_status || closed_) break;  // the peer went away
            Response bad;
            bad.status = rr.http_status;
            bad.close = true;
            bad.header("Connection", "close");
            bad.log_prefix = options_.log_name + " peer=" + c->peer;
            bad.note = (bad.status == 413 ? "refused: " : "malformed request: ") + rr.error;
            std::uint64_t sent = 0;
            try {
                co_await write_response(*c, wd, bad, sent);
            } catch (const boost::system::system_error&) {
            }
            log_line(bad.log_prefix + " http=" + std::to_string(bad.status) + " " + bad.note);
            break;
        }

        const auto started = std::chrono::steady_clock::now();
        Response resp = co_await handler_(request, ex);
        const bool keep = request.head.keep_alive && !resp.close && !closed_;
        if (!keep) resp.header("Connection", "close");
        std::uint64_t sent = 0;
        std::string failure;
        try {
            co_await write_response(*c, wd, resp, sent);
        } catch (const boost::system::system_error& e) {
            failure = wd.fired() ? "client stopped reading" : e.code().message();
            clean = false;
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        std::string line = resp.log_prefix + " http=" + std::to_string(resp.status) + " eas=" +
                           (resp.eas_status ? std::to_string(*resp.eas_status) : std::string("-")) +
                           " ms=" + std::to_string(ms.count()) + " bytes=" + std::to_string(sent);
        if (!resp.note.empty()) line += " " + resp.note;
        if (!failure.empty())
            line += " (write failed after " + std::to_string(sent) + " bytes: " + failure + ")";
        log_line(line);
        if (!keep) break;
    }
    wd.disarm();
    if (clean && !closed_) {
        // TLS close_notify, bounded: a peer that never answers it must not keep us here.
        wd.expires_after(std::chrono::seconds(2));
        co_await c->stream.shutdown();
        wd.disarm();
    } else {
        c->stream.close();
    }
}

}  // namespace fakecas
