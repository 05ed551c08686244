// bench-upstream: the HTTPS upstream of tools/bench/bench.sh. A CAS stand-in that costs as little
// as possible, so a benchmark measures the proxy in front of it rather than the server:
//   - any request with Cmd=Ping in its target is held until SIGUSR1 (or --hold-seconds), then
//     answered with the --ping-body document: the held-connection test;
//   - /stream?bytes=N is answered with N bytes (Content-Length, written in 256 KB pieces): the
//     streaming test;
//   - /reset?bytes=N&after=M promises N bytes, sends M of them, then resets the connection (RST,
//     no TLS close_notify): an upstream dying mid-body, for tools/bench/faults.sh;
//   - anything else (the Sync of the throughput test) is answered at once with the --body
//     document (a WBXML Sync response), keep-alive.
// One thread, Asio coroutines, OpenSSL. SIGUSR2 prints "status held=H answered=A" on stdout.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <list>
#include <sstream>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

struct Config {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    std::string cert, key, body, ping_body;
    long hold_seconds = 0;  // 0: hold until SIGUSR1
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "bench-upstream: cannot read %s\n", path.c_str());
        std::exit(2);
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool iequals_prefix(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char a = line[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

std::string response_head(std::size_t length, std::string_view type) {
    std::string h = "HTTP/1.1 200 OK\r\nContent-Type: ";
    h += type;
    h += "\r\nContent-Length: " + std::to_string(length) +
         "\r\nMS-Server-ActiveSync: 15.1\r\nCache-Control: private\r\n\r\n";
    return h;
}

struct State {
    std::string sync_response;  // head + body, written in one go
    std::string ping_response;
    std::list<asio::steady_timer*> held;
    long hold_seconds = 0;
    unsigned long long answered = 0;
    std::string stream_chunk = std::string(256 * 1024, 'x');
};

struct Request {
    std::string target;
    std::size_t content_length = 0;
    bool close = false;
    bool chunked = false;
};

// Parses a request head (up to and including the blank line).
Request parse_head(std::string_view head) {
    Request r;
    const auto line_end = head.find("\r\n");
    const auto first = head.substr(0, line_end);
    const auto sp1 = first.find(' ');
    const auto sp2 = first.find(' ', sp1 + 1);
    if (sp1 != std::string_view::npos) r.target = std::string(first.substr(sp1 + 1, sp2 - sp1 - 1));
    std::size_t pos = line_end + 2;
    while (pos < head.size()) {
        const auto end = head.find("\r\n", pos);
        if (end == std::string_view::npos || end == pos) break;
        const auto line = head.substr(pos, end - pos);
        const auto value_of = [&](std::size_t n) {
            auto v = line.substr(n);
            while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
            return v;
        };
        if (iequals_prefix(line, "content-length:")) {
            const auto v = value_of(15);
            std::from_chars(v.data(), v.data() + v.size(), r.content_length);
        } else if (iequals_prefix(line, "connection:")) {
            const auto v = value_of(11);
            r.close = v.size() >= 5 && iequals_prefix(v, "close");
        } else if (iequals_prefix(line, "transfer-encoding:")) {
            r.chunked = true;
        }
        pos = end + 2;
    }
    return r;
}

std::size_t query_number(std::string_view target, std::string_view key) {
    const auto p = target.find(key);
    if (p == std::string_view::npos) return 0;
    std::size_t n = 0;
    const auto v = target.substr(p + key.size());
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
}

awaitable<void> serve(ssl::stream<tcp::socket> s, State& st) {
    try {
        co_await s.async_handshake(ssl::stream_base::server, use_awaitable);
        std::string buf;
        char chunk[16 * 1024];
        for (;;) {
            // Head.
            std::size_t head_end;
            while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
                if (buf.size() > 64 * 1024) co_return;
                const auto n = co_await s.async_read_some(asio::buffer(chunk), use_awaitable);
                buf.append(chunk, n);
            }
            const Request req = parse_head(std::string_view(buf).substr(0, head_end + 4));
            buf.erase(0, head_end + 4);
            if (req.chunked) {
                static const std::string refuse =
                    "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: "
                    "close\r\n\r\n";
                co_await asio::async_write(s, asio::buffer(refuse), use_awaitable);
                co_return;
            }
            // Body: read and dropped.
            while (buf.size() < req.content_length) {
                const auto n = co_await s.async_read_some(asio::buffer(chunk), use_awaitable);
                buf.append(chunk, n);
            }
            buf.erase(0, req.content_length);

            if (req.target.find("Cmd=Ping") != std::string::npos) {
                asio::steady_timer wait(s.get_executor());
                if (st.hold_seconds > 0)
                    wait.expires_after(std::chrono::seconds(st.hold_seconds));
                else
                    wait.expires_at(asio::steady_timer::time_point::max());
                auto it = st.held.insert(st.held.end(), &wait);
                boost::system::error_code ec;
                co_await wait.async_wait(asio::redirect_error(use_awaitable, ec));
                st.held.erase(it);
                co_await asio::async_write(s, asio::buffer(st.ping_response), use_awaitable);
            } else if (req.target.rfind("/stream", 0) == 0) {
                std::size_t left = query_number(req.target, "bytes=");
                const auto head = response_head(left, "application/octet-stream");
                co_await asio::async_write(s, asio::buffer(head), use_awaitable);
                while (left > 0) {
                    const auto n = std::min(left, st.stream_chunk.size());
                    co_await asio::async_write(s, asio::buffer(st.stream_chunk.data(), n),
                                               use_awaitable);
                    left -= n;
                }
            } else if (req.target.rfind("/reset", 0) == 0) {
                const std::size_t promised = query_number(req.target, "bytes=");
                const std::size_t sent = std::min(promised, query_number(req.target, "after="));
                const auto head = response_head(promised, "application/octet-stream");
                co_await asio::async_write(s, asio::buffer(head), use_awaitable);
                for (std::size_t left = sent; left > 0;) {
                    const auto n = std::min(left, st.stream_chunk.size());
                    co_await asio::async_write(s, asio::buffer(st.stream_chunk.data(), n),
                                               use_awaitable);
                    left -= n;
                }
                // Linger 0 makes close() send RST instead of FIN: the connection dies, not ends.
                boost::system::error_code ignored;
                s.next_layer().set_option(asio::socket_base::linger(true, 0), ignored);
                s.next_layer().close(ignored);
                ++st.answered;
                co_return;
            } else {
                co_await asio::async_write(s, asio::buffer(st.sync_response), use_awaitable);
            }
            ++st.answered;
            if (req.close) break;
        }
        boost::system::error_code ec;
        co_await s.async_shutdown(asio::redirect_error(use_awaitable, ec));
    } catch (const boost::system::system_error&) {
        // The peer went away: nothing to report.
    }
}

awaitable<void> accept_loop(tcp::acceptor& acceptor, ssl::context& tls, State& st) {
    for (;;) {
        tcp::socket socket(acceptor.get_executor());
        boost::system::error_code ec;
        co_await acceptor.async_accept(socket, asio::redirect_error(use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // Out of descriptors: wait rather than spin.
            std::fprintf(stderr, "bench-upstream: accept: %s\n", ec.message().c_str());
            asio::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(100));
            co_await t.async_wait(use_awaitable);
            continue;
        }
        socket.set_option(tcp::no_delay(true));
        asio::co_spawn(acceptor.get_executor(),
                       serve(ssl::stream<tcp::socket>(std::move(socket), tls), st), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    Config c;
    CLI::App app{
        "bench-upstream: the benchmark's HTTPS upstream. A Sync (any target) is answered at once "
        "with --body; Cmd=Ping is held until SIGUSR1 (or --hold-seconds), then answered with "
        "--ping-body; /stream?bytes=N sends N bytes; /reset?bytes=N&after=M promises N bytes, "
        "sends M, then resets the connection. SIGUSR2 prints \"status held=H answered=A\"; "
        "SIGTERM/SIGINT stop it."};
    std::string listen;
    app.add_option("--listen", listen, "HOST:PORT")->required();
    app.add_option("--cert", c.cert, "certificate chain (PEM)")->required();
    app.add_option("--key", c.key, "private key (PEM)")->required();
    app.add_option("--body", c.body, "the Sync response body (WBXML)")->required();
    app.add_option("--ping-body", c.ping_body, "the Ping response body (WBXML)");
    app.add_option("--hold-seconds", c.hold_seconds,
                   "answer held Pings after this long (0: on SIGUSR1)")
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        std::fprintf(stderr, "bench-upstream: --listen wants HOST:PORT\n");
        return 2;
    }
    c.host = listen.substr(0, colon);
    c.port = static_cast<unsigned short>(std::atoi(listen.c_str() + colon + 1));
    State st;
    st.hold_seconds = c.hold_seconds;
    const auto body = read_file(c.body);
    st.sync_response = response_head(body.size(), "application/vnd.ms-sync.wbxml") + body;
    const auto ping = c.ping_body.empty() ? std::string() : read_file(c.ping_body);
    st.ping_response = response_head(ping.size(), "application/vnd.ms-sync.wbxml") + ping;

    asio::io_context io(1);
    ssl::context tls(ssl::context::tls_server);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3);
    try {
        tls.use_certificate_chain_file(c.cert);
        tls.use_private_key_file(c.key, ssl::context::pem);
    } catch (const boost::system::system_error& e) {
        std::fprintf(stderr, "bench-upstream: certificate: %s\n", e.what());
        return 2;
    }
    tcp::acceptor acceptor(io);
    try {
        const tcp::endpoint ep(asio::ip::make_address(c.host), c.port);
        acceptor.open(ep.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(ep);
        acceptor.listen(asio::socket_base::max_listen_connections);
    } catch (const boost::system::system_error& e) {
        std::fprintf(stderr, "bench-upstream: cannot listen on %s:%u: %s\n", c.host.c_str(), c.port,
                     e.code().message().c_str());
        return 2;
    }
    asio::co_spawn(io, accept_loop(acceptor, tls, st), asio::detached);

    asio::signal_set signals(io, SIGINT, SIGTERM, SIGUSR1);
    signals.add(SIGUSR2);
    std::function<void(boost::system::error_code, int)> on_signal =
        [&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGUSR1) {
                for (auto* t : st.held) t->cancel();
            } else if (sig == SIGUSR2) {
                std::printf("status held=%zu answered=%llu\n", st.held.size(), st.answered);
                std::fflush(stdout);
            } else {
                io.stop();
                return;
            }
            signals.async_wait(on_signal);
        };
    signals.async_wait(on_signal);
    std::printf("bench-upstream listening on %s:%u\n", c.host.c_str(),
                acceptor.local_endpoint().port());
    std::fflush(stdout);
    io.run();
    return 0;
}
