// fake-cas: a simulated Exchange organisation for the easproxy demo and integration tests.
// Several AD sites, each with Client Access Servers listening on 127.0.0.1 (TLS by default),
// users homed in a site, and the Exchange 2007/2010 rule that answers HTTP 451 when a device
// talks to a CAS outside its mailbox's site while that site is internet-facing.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>

#include "admin.hpp"
#include "config.hpp"
#include "dispatch.hpp"
#include "listener.hpp"
#include "readiness.hpp"
#include "tls_setup.hpp"

namespace {

using namespace fakecas;

struct Options {
    std::string config;
    std::string ca_out;
    std::string ready_file;
    std::string cert;
    std::string host = "127.0.0.1";
    std::vector<std::string> names;
    bool plain = false;
    bool check = false;
    bool cert_expired = false;
    int admin_port = -1;
    int io_timeout = 30;
    int idle_timeout = 120;
    std::size_t max_body = 32 * 1024 * 1024;
};

int run(const Options& o) {
    auto loaded = load_config(o.config);
    if (!loaded.config) {
        std::cerr << "fake-cas: " << loaded.error << "\n";
        return 2;
    }
    Config& cfg = *loaded.config;
    if (o.check) {
        std::cout << "fake-cas: " << o.config << ": " << cfg.sites.size() << " sites, "
                  << cfg.users.size() << " users: OK\n";
        return 0;
    }
    if (cfg.users.empty())
        log_line("warning: no [[user]] in " + o.config + ": every request will get 401");

    TlsSetup tls;
    if (!o.plain) {
        std::vector<std::string> names{"127.0.0.1", "localhost"};
        if (o.host != "127.0.0.1" && o.host != "localhost") names.push_back(o.host);
        names.insert(names.end(), o.names.begin(), o.names.end());
        std::string error;
        if (!setup_tls(names, o.cert, o.ca_out, tls, error, o.cert_expired)) {
            std::cerr << "fake-cas: TLS: " << error << "\n";
            return 1;
        }
    }

    asio::io_context ioc(1);
    Runtime rt(cfg);
    ListenerOptions base;
    base.host = o.host;
    base.tls = tls.context.get();
    base.io_timeout = std::chrono::seconds(o.io_timeout);
    base.idle_timeout = std::chrono::seconds(o.idle_timeout);
    base.max_body = o.max_body;

    std::vector<std::unique_ptr<Listener>> listeners;
    std::vector<Cas*> listener_cas;
    for (auto& cas : rt.org.cas()) {
        cas->host = o.host;
        cas->scheme = o.plain ? "http" : "https";
        ListenerOptions lo = base;
        lo.port = cas->port;
        lo.log_name = "site=" + cas->site->name + " cas=" + cas->name;
        Cas* c = cas.get();
        auto l = std::make_unique<Listener>(
            ioc, lo,
            [&rt, c](const eas::net::Message& m, asio::any_io_executor ex) -> awaitable<Response> {
                RequestLog log;
                Response resp = co_await dispatch(rt, *c, m, ex, log);
                add_common_headers(rt, resp);
                resp.log_prefix = "site=" + c->site->name + " cas=" + c->name +
                                  " user=" + log.user + " device=" + log.device +
                                  " type=" + log.device_type + " cmd=" + log.command;
                co_return resp;
            });
        std::string error;
        if (!l->bind(error)) {
            std::cerr << "fake-cas: " << cas->name << " (site " << cas->site->name << "): " << error
                      << "\n";
            return 1;
        }
        cas->port = l->port();
        listeners.push_back(std::move(l));
        listener_cas.push_back(c);
    }

    // A site that is down in refuse mode keeps its ports bound but does not listen.
    auto apply_sites = [&] {
        for (std::size_t i = 0; i < listeners.size(); ++i) {
            if (listener_cas[i]->site->down && rt.down_mode == DownMode::Refuse) {
                listeners[i]->pause();
            } else {
                std::string error;
                if (!listeners[i]->resume(error)) log_line(listener_cas[i]->name + ": " + error);
            }
        }
    };

    Admin admin(rt, apply_sites);
    ListenerOptions ao;
    ao.host = "127.0.0.1";  // never exposed: the switches are for tests on this machine
    ao.port =
        static_cast<std::uint16_t>(o.admin_port >= 0 ? o.admin_port : cfg.admin_port.value_or(0));
    ao.log_name = "admin";
    ao.idle_timeout = base.idle_timeout;
    ao.io_timeout = base.io_timeout;
    ao.max_body = 1024 * 1024;
    Listener admin_listener(ioc, ao,
                            [&admin](const eas::net::Message& m, asio::any_io_executor ex) {
                                return admin.handle(m, ex);
                            });
    std::string error;
    if (!admin_listener.bind(error) || !admin_listener.resume(error)) {
        std::cerr << "fake-cas: admin endpoint: " << error << "\n";
        return 1;
    }
    apply_sites();
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        const bool refused = listener_cas[i]->site->down && rt.down_mode == DownMode::Refuse;
        if (!refused && !listeners[i]->accepting()) {
            std::cerr << "fake-cas: " << listener_cas[i]->name << ": could not start listening\n";
            return 1;
        }
    }

    const std::string admin_url = "http://127.0.0.1:" + std::to_string(admin_listener.port());
    if (!announce_ready(rt, admin_url, o.ready_file, o.plain || !o.cert.empty() ? "" : o.ca_out,
                        error)) {
        std::cerr << "fake-cas: --ready-file: " << error << "\n";
        return 1;
    }

    // SIGTERM/SIGINT: stop listening, end held requests, close connections, exit 0 within a
    // second. Connections still busy after that are abandoned (the process exits anyway).
    bool forced = false;
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        log_line(std::string("stopping (") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ")");
        rt.stopped = true;
        rt.stopping.notify();
        admin_listener.close();
        for (auto& l : listeners) l->close();
        asio::co_spawn(
            ioc,
            [&]() -> awaitable<void> {
                const auto deadline =
                    std::chrono::steady_clock::now() + std::chrono::milliseconds(900);
                asio::steady_timer t(ioc);
                while (std::chrono::steady_clock::now() < deadline) {
                    std::size_t open = admin_listener.connections();
                    for (auto& l : listeners) open += l->connections();
                    if (!open) co_return;
                    t.expires_after(std::chrono::milliseconds(10));
                    co_await t.async_wait(eas::net::use_awaitable);
                }
                forced = true;
                ioc.stop();
            },
            asio::detached);
    });

    ioc.run();
    if (forced) {
        // Coroutine frames still parked in the io_context reference the listeners; skip the
        // destructors rather than unwind them in an order nobody can vouch for.
        log_line("stopped (some connections did not finish in time)");
        std::cout.flush();
        std::_Exit(0);
    }
    log_line("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    Options o;
    CLI::App app{
        "fake-cas: a simulated Exchange organisation for easproxy's demo and tests.\n"
        "Every CAS of every [[site]] in the config listens on its own port (TLS, certificate "
        "minted\n"
        "at start) and answers ActiveSync like Exchange 2010: OPTIONS, Provision, FolderSync, "
        "Sync,\n"
        "Ping, ItemOperations, SendMail, Settings; HTTP 451 + X-MS-Location when a user's mailbox\n"
        "lives in another, internet-facing site. See tools/fake-cas/README.md.",
        "fake-cas"};
    app.add_option("-c,--config", o.config,
                   "Organisation config (TOML): sites, CAS, users, [scenario], [eas]")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option(
        "--ca-out", o.ca_out,
        "Write the minted CA certificate (PEM) here, for clients to trust (curl --cacert FILE)");
    app.add_option(
        "--ready-file", o.ready_file,
        "Once every listener accepts, write JSON {cas:[{site,name,url}],admin,ca,pid} here "
        "(atomically: temp file + rename)");
    app.add_flag("--plain", o.plain,
                 "Serve plain HTTP instead of TLS (to test TLS offload in front of a CAS)");
    app.add_option("--admin-port", o.admin_port,
                   "Port of the admin endpoint on 127.0.0.1 (default: [admin] port in the config, "
                   "else any free port)")
        ->check(CLI::Range(0, 65535));
    app.add_option("--host", o.host, "Address the CAS listen on and name in their URLs")
        ->capture_default_str();
    app.add_option("--cert", o.cert,
                   "Use this PEM file (certificate chain and key) instead of minting one; --ca-out "
                   "is then ignored")
        ->check(CLI::ExistingFile);
    app.add_flag("--cert-expired", o.cert_expired,
                 "Mint a CAS certificate that expired yesterday (the CA stays valid), to test "
                 "clients' certificate checks")
        ->excludes(app.get_option("--cert"));
    app.add_option(
        "--san", o.names,
        "Extra DNS name or IP for the minted certificate (repeatable), e.g. for X-MS-Location URLs "
        "set with external_url = \"https://mail-b.contoso.test:PORT/...\"");
    app.add_option("--io-timeout", o.io_timeout,
                   "Seconds before a stalled TLS handshake or response write drops the connection")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    app.add_option("--idle-timeout", o.idle_timeout,
                   "Seconds a connection may wait for, or take to send, its next request")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));
    app.add_option("--max-body", o.max_body,
                   "Largest request body accepted, in bytes (larger: 413)")
        ->capture_default_str();
    app.add_flag(
        "--check", o.check,
        "Only validate the config file and exit (0 when valid, 2 with FILE:LINE:COL otherwise)");
    CLI11_PARSE(app, argc, argv);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "fake-cas: " << e.what() << "\n";
        return 1;
    }
}
