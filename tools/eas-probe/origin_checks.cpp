#include "origin_checks.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "cert_check.hpp"
#include "stream.hpp"
#include "tls_context.hpp"

namespace eas::probe {
namespace {

namespace asio = net::asio;
using Clock = std::chrono::steady_clock;

std::int64_t ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string seconds_text(std::chrono::milliseconds d) {
    char out[32];
    std::snprintf(out, sizeof out, "%g s", static_cast<double>(d.count()) / 1000.0);
    return out;
}

std::string endpoint_text(const net::tcp::endpoint& ep) {
    const auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
           std::to_string(ep.port());
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

bool g_lookup_abandoned = false;

struct Resolved {
    net::tcp::resolver::results_type results;
    std::string error;  // empty on success
};

// getaddrinfo cannot be interrupted, so the resolver gets a timer to race: whichever finishes
// first decides, and a late answer is dropped (the shared state outlives this coroutine).
net::awaitable<Resolved> resolve(asio::any_io_executor ex, const std::string& host,
                                 std::uint16_t port, std::chrono::milliseconds timeout) {
    struct State {
        explicit State(asio::any_io_executor e) : resolver(e), timer(e) {}
        net::tcp::resolver resolver;
        asio::steady_timer timer;
        bool done = false;
        boost::system::error_code ec;
        net::tcp::resolver::results_type results;
    };
    auto state = std::make_shared<State>(ex);
    state->timer.expires_after(timeout);
    state->resolver.async_resolve(
        host, std::to_string(port),
        [state](const boost::system::error_code& ec, net::tcp::resolver::results_type r) {
            state->done = true;
            state->ec = ec;
            state->results = std::move(r);
            state->timer.cancel();
        });
    boost::system::error_code ignored;
    co_await state->timer.async_wait(asio::redirect_error(net::use_awaitable, ignored));
    Resolved out;
    if (!state->done) {
        state->resolver.cancel();
        g_lookup_abandoned = true;
        out.error = "no answer from DNS within " + seconds_text(timeout);
    } else if (state->ec) {
        out.error = state->ec.message();
    } else {
        out.results = state->results;
    }
    co_return out;
}

std::string join(const std::vector<std::string>& parts, const char* sep = ", ") {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
    return out;
}

Step certificate_step(const std::string& target, SSL* ssl, const std::string& host, bool insecure) {
    Step step{"Certificate", target};
    const auto t0 = Clock::now();
    const CertFindings f = check_certificate(ssl, host);
    step.ms = ms_since(t0);
    nlohmann::ordered_json chain = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < f.chain.size(); ++i) {
        const auto& c = f.chain[i];
        step.details.push_back((i == 0 ? "certificate: " : "chain " + std::to_string(i) + ": ") +
                               c.subject + ", issued by " + c.issuer + ", valid " + c.not_before +
                               " to " + c.not_after);
        chain.push_back({{"subject", c.subject},
                         {"issuer", c.issuer},
                         {"not_before", c.not_before},
                         {"not_after", c.not_after}});
    }
    if (!f.names.empty()) step.details.push_back("names: " + join(f.names));
    if (!f.anchor.empty()) step.details.push_back("trusted through " + f.anchor);
    step.data["chain"] = std::move(chain);
    step.data["names"] = f.names;
    step.data["days_left"] = f.days_left ? nlohmann::ordered_json(*f.days_left) : nullptr;
    step.data["trusted"] = f.trusted;
    step.data["name_ok"] = f.name_ok;
    step.data["in_date"] = f.in_date;
    step.data["problems"] = f.problems;

    const std::string& not_after = f.chain.empty() ? std::string() : f.chain.front().not_after;
    if (!f.problems.empty()) {
        step.set(
            insecure ? Verdict::Warn : Verdict::Fail,
            join(f.problems, "; ") +
                (insecure ? " (--insecure: going on as a device told to accept it would)" : ""));
        return step;
    }
    if (f.days_left && *f.days_left < 30) {
        step.warn("valid for " + host + " but expires in " + std::to_string(*f.days_left) +
                  (*f.days_left == 1 ? " day" : " days") + ", on " + not_after);
        return step;
    }
    step.pass("valid for " + host + " until " + not_after +
              (f.days_left ? " (" + std::to_string(*f.days_left) + " days)" : "") +
              (f.chain.empty() ? "" : ", issued by " + f.chain.front().issuer));
    return step;
}

}  // namespace

bool lookup_abandoned() {
    return g_lookup_abandoned;
}

net::awaitable<bool> check_origin(asio::any_io_executor ex, const device::Url& url,
                                  const OriginSettings& s, Report& report) {
    const std::string target = url.to_string();
    const auto dial = device::dial_target(s.connect_to, url.host, url.port);

    // DNS
    Step dns{"DNS", target};
    auto t0 = Clock::now();
    const Resolved resolved = co_await resolve(ex, dial.host, dial.port, s.timeout);
    dns.ms = ms_since(t0);
    if (!resolved.error.empty()) {
        dns.fail("cannot resolve " + dial.host + ": " + resolved.error);
        report.add(std::move(dns));
        co_return false;
    }
    std::vector<std::string> addresses;
    for (const auto& entry : resolved.results) {
        const std::string a = entry.endpoint().address().to_string();
        if (std::find(addresses.begin(), addresses.end(), a) == addresses.end())
            addresses.push_back(a);
    }
    dns.data["host"] = url.host;
    dns.data["addresses"] = addresses;
    dns.data["connect_to"] = dial.rule ? nlohmann::ordered_json(to_string(*dial.rule)) : nullptr;
    if (dial.rule) {
        const bool literal = addresses.size() == 1 && addresses.front() == dial.host;
        dns.pass(url.host + ":" + std::to_string(url.port) + " -> " + dial.host + ":" +
                 std::to_string(dial.port) + (literal ? "" : " (" + join(addresses) + ")") +
                 " by --connect-to");
        dns.details.push_back("--connect-to " + to_string(*dial.rule) +
                              ": DNS is not asked about " + url.host +
                              "; Host, SNI and the certificate check still use it");
    } else if (is_ip_literal(url.host)) {
        dns.pass(url.host + " is an address: nothing to resolve");
    } else {
        dns.pass(url.host + " -> " + join(addresses));
    }
    report.add(std::move(dns));

    // TCP connect
    auto stream = url.tls() ? std::make_unique<net::Stream>(net::tcp::socket(ex), *s.tls)
                            : std::make_unique<net::Stream>(net::tcp::socket(ex));
    Step tcp{"TCP connect", target};
    bool ok = true;
    {
        net::Watchdog watchdog(*stream, ex);
        watchdog.expires_after(s.timeout);
        t0 = Clock::now();
        try {
            const auto ep = co_await asio::async_connect(stream->socket(), resolved.results,
                                                         net::use_awaitable);
            tcp.pass("connected to " + endpoint_text(ep));
            tcp.data["address"] = endpoint_text(ep);
        } catch (const boost::system::system_error& e) {
            ok = false;
            const std::string where = dial.host + ":" + std::to_string(dial.port);
            if (watchdog.fired()) {
                tcp.fail("no answer from " + where + " within " + seconds_text(s.timeout) +
                         " (a firewall may be dropping the connection)");
            } else if (e.code() == asio::error::connection_refused) {
                tcp.fail("connection refused by " + where +
                         " (nothing listens on that port, or a firewall rejects it)");
            } else {
                tcp.fail("cannot connect to " + where + ": " + e.code().message());
            }
        }
        tcp.ms = ms_since(t0);
    }
    report.add(std::move(tcp));
    if (!ok) co_return false;

    // TLS handshake
    Step tls{"TLS handshake", target};
    if (!url.tls()) {
        tls.warn(
            "plain http://: no TLS, so the password crosses the network in clear (Basic "
            "authentication)");
        report.add(std::move(tls));
        co_return true;
    }
    SSL* ssl = stream->native_ssl();
    // Verification happens in the Certificate step, where every error is collected.
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    if (!is_ip_literal(url.host)) SSL_set_tlsext_host_name(ssl, url.host.c_str());
    {
        net::Watchdog watchdog(*stream, ex);
        watchdog.expires_after(s.timeout);
        t0 = Clock::now();
        try {
            co_await stream->handshake_client("");
            const std::string protocol = SSL_get_version(ssl);
            const std::string cipher = SSL_get_cipher_name(ssl);
            tls.pass(protocol + ", " + cipher);
            tls.data["protocol"] = protocol;
            tls.data["cipher"] = cipher;
        } catch (const boost::system::system_error& e) {
            ok = false;
            tls.fail(watchdog.fired() ? "no TLS answer within " + seconds_text(s.timeout)
                                      : "TLS handshake with " + url.authority() +
                                            " failed: " + net::describe_tls_error(e.code(), ssl));
        }
        tls.ms = ms_since(t0);
    }
    report.add(std::move(tls));
    if (!ok) {
        stream->close();
        co_return false;
    }

    Step cert = certificate_step(target, ssl, url.host, s.insecure);
    ok = cert.verdict != Verdict::Fail;
    report.add(std::move(cert));
    stream->close();
    co_return ok;
}

}  // namespace eas::probe
