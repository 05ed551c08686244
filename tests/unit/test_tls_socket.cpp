// TlsSocket (OpenSSL driven on the socket itself) over loopback: data both ways at once, the
// error codes callers tell a clean close from a cut one by, host name checks, and a socket
// closed under a pending read.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mint.hpp"
#include "stream.hpp"
#include "tls_context.hpp"

using namespace eas;
using net::asio::use_awaitable;

namespace {

struct Tls {
    std::unique_ptr<net::ssl::context> server;
    std::unique_ptr<net::ssl::context> client;
};

Tls make_contexts() {
    static const auto ca = certs::mint_ca("easproxy test CA").pair;
    static const auto leaf = certs::mint_leaf(*ca, {"localhost", "127.0.0.1"}).pair;
    Tls t;
    std::string error;
    net::ServerTlsOptions so;
    so.cert_chain_pem = leaf->cert_pem;
    so.key_pem = leaf->key_pem;
    t.server = net::make_server_context(so, error);
    REQUIRE(t.server);
    net::ClientTlsOptions co;
    co.ca_pem = ca->cert_pem;
    co.system_store = false;
    t.client = net::make_client_context(co, error);
    REQUIRE(t.client);
    return t;
}

// A connected pair of TCP sockets on loopback.
std::pair<net::tcp::socket, net::tcp::socket> socket_pair(net::asio::io_context& io) {
    net::tcp::acceptor acceptor(io, {net::asio::ip::make_address("127.0.0.1"), 0});
    net::tcp::socket a(io), b(io);
    a.connect(acceptor.local_endpoint());
    acceptor.accept(b);
    return {std::move(a), std::move(b)};
}

std::string pattern(std::size_t n, char seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7 % 251);
    return s;
}

net::awaitable<std::string> read_exactly(net::Stream& s, std::size_t n) {
    std::string out;
    std::vector<char> buf(7000);  // not a record's size: reads end mid-record
    while (out.size() < n) {
        const auto got = co_await s.read_some(net::asio::buffer(buf.data(), buf.size()));
        out.append(buf.data(), got);
    }
    co_return out;
}

// A TLS client and server over loopback, on one io_context (members in construction order).
struct TlsPair {
    Tls tls = make_contexts();
    net::asio::io_context io;
    std::pair<net::tcp::socket, net::tcp::socket> ends = socket_pair(io);
    net::Stream client{std::move(ends.first), *tls.client};
    net::Stream server{std::move(ends.second), *tls.server};
};

// Runs coroutines side by side until all are done; rethrows the first failure.
template <class... A>
void run(net::asio::io_context& io, A&&... coroutines) {
    std::exception_ptr failure;
    auto done = [&](std::exception_ptr e) {
        if (e && !failure) failure = e;
    };
    (net::asio::co_spawn(io, std::forward<A>(coroutines), done), ...);
    io.run();
    io.restart();
    if (failure) std::rethrow_exception(failure);
}

void handshake(net::asio::io_context& io, net::Stream& client, net::Stream& server,
               const std::string& name) {
    run(io, server.handshake_server(), client.handshake_client(name));
}

boost::system::error_code read_error(net::asio::io_context& io, net::Stream& s) {
    boost::system::error_code ec;
    run(io, [&]() -> net::awaitable<void> {
        char c;
        try {
            co_await s.read_some(net::asio::buffer(&c, 1));
        } catch (const boost::system::system_error& e) {
            ec = e.code();
        }
    });
    return ec;
}

}  // namespace

TEST_CASE("data both ways at once, gathered writes, reads that end mid-record") {
    TlsPair pair;
    [[maybe_unused]] auto& [tls, io, ends, client, server] = pair;
    const std::string head = "POST / HTTP/1.1\r\nContent-Length: 300000\r\n\r\n";
    const std::string up = pattern(300'000, 'a');
    const std::string down = pattern(1'000'000, 'z');
    std::string got_up, got_down;

    handshake(io, client, server, "localhost");
    {
        auto client_side = [&]() -> net::awaitable<void> {
            const std::vector<net::asio::const_buffer> pieces{
                net::asio::buffer(head), net::asio::buffer(up.data(), 100),
                net::asio::buffer(up.data() + 100, up.size() - 100)};
            co_await client.write(pieces);
            got_down = co_await read_exactly(client, down.size());
        };
        auto server_side = [&]() -> net::awaitable<void> {
            // Writes its megabyte while the client is still sending: neither side may wait on
            // the other's read to make progress.
            co_await server.write(net::asio::buffer(down));
            got_up = co_await read_exactly(server, head.size() + up.size());
        };
        run(io, client_side(), server_side());
    }
    CHECK(got_up == head + up);
    CHECK(got_down == down);
}

TEST_CASE("close_notify reads as eof, a cut connection as stream_truncated") {
    for (const bool clean : {true, false}) {
        TlsPair pair;
        [[maybe_unused]] auto& [tls, io, ends, client, server] = pair;
        handshake(io, client, server, "127.0.0.1");
        run(io, [&]() -> net::awaitable<void> {
            if (clean) {
                co_await server.shutdown();
            } else {
                server.close();
            }
        });
        const auto ec = read_error(io, client);
        INFO("clean: " << clean << ", " << ec.message());
        if (clean) {
            CHECK(ec == net::asio::error::eof);
        } else {
            CHECK(ec == net::ssl::error::stream_truncated);
        }
    }
}

TEST_CASE("a certificate for another name fails the handshake, saying why") {
    TlsPair pair;
    [[maybe_unused]] auto& [tls, io, ends, client, server] = pair;
    std::string reason;
    auto server_side = [&]() -> net::awaitable<void> {
        try {
            co_await server.handshake_server();
        } catch (const boost::system::system_error&) {
        }
    };
    auto client_side = [&]() -> net::awaitable<void> {
        try {
            co_await client.handshake_client("mail.contoso.test");
        } catch (const boost::system::system_error& e) {
            reason = net::describe_tls_error(e.code(), client.native_ssl());
        }
        server.close();
    };
    run(io, server_side(), client_side());
    CHECK_THAT(reason, Catch::Contains("certificate verify failed"));
    CHECK_THAT(reason, Catch::Contains("mismatch"));
}

TEST_CASE("wait_readable ignores session tickets, and a closed socket fails, never crashes") {
    TlsPair pair;
    [[maybe_unused]] auto& [tls, io, ends, client, server] = pair;
    bool written = false;
    bool readable_before_write = false;
    handshake(io, client, server, "localhost");
    {
        // TLS 1.3 tickets arrive right after the handshake: they are not data to read.
        auto waiter = [&]() -> net::awaitable<void> {
            co_await client.wait_readable();
            readable_before_write = !written;
        };
        auto writer = [&]() -> net::awaitable<void> {
            net::asio::steady_timer t(io, std::chrono::milliseconds(50));
            co_await t.async_wait(use_awaitable);
            written = true;
            co_await server.write(net::asio::buffer(std::string("x")));
        };
        run(io, waiter(), writer());
    }
    CHECK_FALSE(readable_before_write);
    CHECK(written);

    // A read pending when its socket is closed (a watchdog firing) ends with an error, and so
    // does every later call: the descriptor number may already belong to someone else.
    boost::system::error_code pending_ec, later_ec;
    char c[2];
    run(io, [&]() -> net::awaitable<void> {
        co_await client.read_some(net::asio::buffer(c, 1));  // the "x"
    });
    {
        auto reader = [&]() -> net::awaitable<void> {
            try {
                co_await client.read_some(net::asio::buffer(c, 1));
            } catch (const boost::system::system_error& e) {
                pending_ec = e.code();
            }
        };
        auto closer = [&]() -> net::awaitable<void> {
            net::asio::steady_timer t(io, std::chrono::milliseconds(10));
            co_await t.async_wait(use_awaitable);
            client.close();
        };
        run(io, reader(), closer());
    }
    run(io, [&]() -> net::awaitable<void> {
        try {
            co_await client.write(net::asio::buffer(std::string("late")));
        } catch (const boost::system::system_error& e) {
            later_ec = e.code();
        }
    });
    CHECK(pending_ec == net::asio::error::operation_aborted);
    CHECK(later_ec);
}

TEST_CASE("a watchdog closes the stream at its last deadline, and not after disarm") {
    net::asio::io_context io;
    auto [a, b] = socket_pair(io);
    net::Stream quiet(std::move(a));  // its peer never writes
    net::Stream peer(std::move(b));
    net::Watchdog watchdog(quiet, io.get_executor());
    const auto started = std::chrono::steady_clock::now();
    boost::system::error_code ec;
    std::chrono::steady_clock::duration aborted_after{};
    auto reader = [&]() -> net::awaitable<void> {
        char c;
        try {
            co_await quiet.read_some(net::asio::buffer(&c, 1));
        } catch (const boost::system::system_error& e) {
            ec = e.code();
            aborted_after = std::chrono::steady_clock::now() - started;
        }
    };
    auto rearm = [&]() -> net::awaitable<void> {
        // Moved later three times, as body chunks do: only the last deadline counts.
        for (int i = 0; i < 3; ++i) {
            watchdog.expires_after(std::chrono::milliseconds(100));
            net::asio::steady_timer t(io, std::chrono::milliseconds(50));
            co_await t.async_wait(use_awaitable);
        }
    };
    run(io, reader(), rearm());
    CHECK(ec == net::asio::error::operation_aborted);
    CHECK(watchdog.fired());
    CHECK(aborted_after >= std::chrono::milliseconds(200));  // 100 ms after the third re-arm

    auto [c, d] = socket_pair(io);
    net::Stream other(std::move(c));
    net::Watchdog disarmed(other, io.get_executor());
    disarmed.expires_after(std::chrono::milliseconds(20));
    disarmed.disarm();
    net::asio::steady_timer later(io, std::chrono::milliseconds(100));
    run(io, [&]() -> net::awaitable<void> { co_await later.async_wait(use_awaitable); });
    CHECK_FALSE(disarmed.fired());
    CHECK(other.socket().is_open());
}
