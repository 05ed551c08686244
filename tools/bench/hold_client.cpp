// bench-hold: the device side of tools/bench/bench.sh's held-connection test. Opens N TLS
// connections to a proxy (at most --parallel handshakes at a time), sends one EAS Ping on each
// and waits for every answer, the way N phones park a Ping at the CAS. Prints progress lines the
// script waits for:
//   sent N            every connection has its Ping on the wire (failures are counted, not sent)
//   done answered=A ok=O failed=F seconds_after_release=S
// and exits 0 when all N were answered 200. One thread, Asio coroutines, OpenSSL; wrk cannot hold
// a request open and curl cannot hold ten thousand.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
    std::string host = "127.0.0.1";
    std::string port;
    std::size_t n = 100;
    std::size_t parallel = 100;
    long timeout = 300;
    std::string body_file;
    std::string target =
        "/Microsoft-Server-ActiveSync?Cmd=Ping&User=alex&DeviceId=BENCHHOLD&DeviceType=iPhone";
};

struct Totals {
    std::size_t sent = 0, answered = 0, ok = 0, failed = 0;
    std::size_t in_handshake = 0;
    std::string first_error;
    std::optional<Clock::time_point> first_ok;  // the upstream's release, as seen here
    Clock::time_point last_answer{};
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "bench-hold: cannot read %s\n", path.c_str());
        std::exit(2);
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void note_failure(Totals& t, const std::string& what) {
    ++t.failed;
    if (t.first_error.empty()) t.first_error = what;
}

// One device: connect, handshake, send the Ping, read the answer (head + Content-Length body).
awaitable<void> device(tcp::endpoint ep, ssl::context& tls, const std::string& request,
                       std::size_t index, Totals& t, asio::steady_timer& slots,
                       std::size_t parallel, const Config& c) {
    auto ex = co_await asio::this_coro::executor;
    ssl::stream<tcp::socket> s(ex, tls);
    bool counted_sent = false;
    try {
        co_await s.next_layer().async_connect(ep, use_awaitable);
        s.next_layer().set_option(tcp::no_delay(true));
        SSL_set_tlsext_host_name(s.native_handle(), "localhost");
        co_await s.async_handshake(ssl::stream_base::client, use_awaitable);
        --t.in_handshake;
        slots.cancel_one();
        co_await asio::async_write(s, asio::buffer(request), use_awaitable);
        ++t.sent;
        counted_sent = true;
        if (t.sent + t.failed == c.n) {
            std::printf("sent %zu (failed %zu)\n", t.sent, t.failed);
            std::fflush(stdout);
        }
        std::string buf;
        char chunk[4096];
        std::size_t head_end;
        while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
            const auto n = co_await s.async_read_some(asio::buffer(chunk), use_awaitable);
            buf.append(chunk, n);
        }
        int status = 0;
        if (buf.size() > 12) std::from_chars(buf.data() + 9, buf.data() + 12, status);
        std::size_t length = 0;
        for (std::size_t p = 0; p < head_end;) {
            const auto e = buf.find("\r\n", p);
            std::string line = buf.substr(p, e - p);
            for (auto& ch : line)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (line.rfind("content-length:", 0) == 0)
                length = static_cast<std::size_t>(std::strtoull(line.c_str() + 15, nullptr, 10));
            p = e + 2;
        }
        while (buf.size() < head_end + 4 + length) {
            const auto n = co_await s.async_read_some(asio::buffer(chunk), use_awaitable);
            buf.append(chunk, n);
        }
        ++t.answered;
        t.last_answer = Clock::now();
        if (status == 200) {
            if (!t.first_ok) t.first_ok = Clock::now();
            ++t.ok;
        } else if (t.first_error.empty()) {
            t.first_error = "device " + std::to_string(index) + ": HTTP " + std::to_string(status);
        }
    } catch (const boost::system::system_error& e) {
        if (!counted_sent) {
            --t.in_handshake;
            slots.cancel_one();
        }
        note_failure(t, "device " + std::to_string(index) + ": " + e.code().message());
        if (!counted_sent && t.sent + t.failed == c.n) {
            std::printf("sent %zu (failed %zu)\n", t.sent, t.failed);
            std::fflush(stdout);
        }
    }
    (void)parallel;
    boost::system::error_code ignored;
    s.next_layer().close(ignored);
}

awaitable<void> launcher(tcp::endpoint ep, ssl::context& tls, const std::string& request, Totals& t,
                         asio::steady_timer& slots, const Config& c) {
    auto ex = co_await asio::this_coro::executor;
    for (std::size_t i = 0; i < c.n; ++i) {
        while (t.in_handshake >= c.parallel) {
            slots.expires_at(asio::steady_timer::time_point::max());
            boost::system::error_code ec;
            co_await slots.async_wait(asio::redirect_error(use_awaitable, ec));
        }
        ++t.in_handshake;
        asio::co_spawn(ex, device(ep, tls, request, i, t, slots, c.parallel, c), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    Config c;
    CLI::App app{
        "bench-hold: opens N TLS connections, sends a Ping on each and waits for all answers. "
        "Prints \"sent N\" when every Ping is out, and \"done ...\" at the end; exit 0 when all N "
        "were answered 200, 1 otherwise, 2 on usage errors."};
    std::string connect;
    app.add_option("--connect", connect, "HOST:PORT of the proxy")->required();
    app.add_option("-n", c.n, "connections, one Ping each")->required()->check(CLI::PositiveNumber);
    app.add_option("--body", c.body_file, "the Ping request body (WBXML)")->required();
    app.add_option("--parallel", c.parallel, "handshakes in flight at once")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--target", c.target, "request target")->capture_default_str();
    app.add_option("--timeout", c.timeout, "seconds for the whole run")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    const auto colon = connect.rfind(':');
    if (colon == std::string::npos) {
        std::fprintf(stderr, "bench-hold: --connect wants HOST:PORT\n");
        return 2;
    }
    c.host = connect.substr(0, colon);
    c.port = connect.substr(colon + 1);
    const std::string body = read_file(c.body_file);
    const std::string request =
        "POST " + c.target +
        " HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/vnd.ms-sync.wbxml\r\nMS-ASProtocolVersion: 14.1\r\n"
        "User-Agent: Apple-iPhone9C1/1402.72\r\nX-MS-PolicyKey: 3942919513\r\n"
        "Authorization: Basic YWxleDpiZW5jaA==\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;

    asio::io_context io(1);
    ssl::context tls(ssl::context::tls_client);
    tls.set_verify_mode(ssl::verify_none);  // a certificate minted for this run
    const tcp::endpoint ep(asio::ip::make_address(c.host),
                           static_cast<unsigned short>(std::atoi(c.port.c_str())));
    Totals t;
    asio::steady_timer slots(io);
    asio::co_spawn(io, launcher(ep, tls, request, t, slots, c), asio::detached);

    // Progress and the overall bound.
    const auto start = Clock::now();
    asio::steady_timer tick(io);
    bool timed_out = false;
    std::function<void(boost::system::error_code)> on_tick = [&](boost::system::error_code) {
        if (t.answered + t.failed >= c.n) {
            io.stop();
            return;
        }
        if (Clock::now() - start > std::chrono::seconds(c.timeout)) {
            timed_out = true;
            io.stop();
            return;
        }
        tick.expires_after(std::chrono::milliseconds(50));
        tick.async_wait(on_tick);
    };
    tick.expires_after(std::chrono::milliseconds(50));
    tick.async_wait(on_tick);

    io.run();
    // From the first 200 (the upstream's release) to the last answer.
    const double spread =
        t.first_ok ? std::chrono::duration<double>(t.last_answer - *t.first_ok).count() : 0.0;
    std::printf("done answered=%zu ok=%zu failed=%zu seconds_after_release=%.2f%s\n", t.answered,
                t.ok, t.failed, spread, timed_out ? " (timed out)" : "");
    if (!t.first_error.empty()) std::printf("first error: %s\n", t.first_error.c_str());
    std::fflush(stdout);
    return t.ok == c.n ? 0 : 1;
}
