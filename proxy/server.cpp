#include "server.hpp"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <random>
#include <cstdio>
#include <filesystem>
#include <list>
#include <regex>
#include <thread>

#include "flow_log.hpp"
#include "ca_store.hpp"
#include "keylog.hpp"
#include "leaf_contexts.hpp"
#include "listen_address.hpp"
#include "live_flows.hpp"
#include "web_server.hpp"
#include "log_setup.hpp"
#include "redirect_counters.hpp"
#include "session.hpp"
#include "tls_settings.hpp"
#include "tls_context.hpp"
#include "trace_writer.hpp"

namespace eas::proxy {
namespace {

struct Worker {
    net::asio::io_context io{1};
    std::unique_ptr<UpstreamPool> pool;
};

// Names this run in every trace record: flow ids restart at 1 with each run.
std::string run_id() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ-%04x", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<unsigned>(std::random_device{}() & 0xffff));
    return buf;
}

}  // namespace

int run_server(const Options& o) {
    std::string log_error;
    auto log_setup = make_log(o.log_format, o.log_file, o.log_level, log_error);
    if (!log_setup) {
        std::fprintf(stderr, "easproxy: --log-file %s\n", log_error.c_str());
        return 2;
    }
    auto log = log_setup->logger;

    // Each held Ping costs two descriptors (device and upstream): use all the system allows.
    if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    // Past the cap a connection is reset at once: the device sees a clear failure and retries,
    // instead of waiting in the listen queue while descriptors have run out.
    std::uint64_t max_connections = o.max_connections;
    if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        const std::uint64_t room = rl.rlim_cur > 64 ? (rl.rlim_cur - 64) / 2 : 1;
        if (max_connections == 0) max_connections = room;
        log->info("descriptor limit {}: room for about {} held requests; --max-connections {}",
                  rl.rlim_cur, room, max_connections);
        if (max_connections > room)
            log->warn(
                "--max-connections {} is more than the descriptors allow (about {}): "
                "raise ulimit -n",
                max_connections, room);
    }

    // Mode and upstream.
    Settings settings = o.settings;
    const bool regular = o.mode == "regular";
    if (!regular && o.mode.rfind("reverse:", 0) != 0) {
        log->error("--mode \"{}\": expected reverse:URL or regular", o.mode);
        return 2;
    }
    std::string error;
    std::optional<Origin> upstream = Origin{};
    if (!regular) upstream = parse_origin(o.mode.substr(8), error);
    if (!upstream) {
        log->error("--mode {}: {}", o.mode, error);
        return 2;
    }
    settings.upstream = *upstream;
    RedirectRules rules;
    rules.mode = parse_mode(o.on_451).value_or(On451::Pass);
    rules.allow = o.follow_allow;
    rules.replay_limit = o.replay_limit;
    rules.device_rules = o.device_rules;
    for (const auto& r : rules.device_rules) {
        log->info("{}: 451 {} for devices with{}{}{}{}", r.name, mode_name(r.mode),
                  r.device_type.empty() ? "" : " DeviceType " + r.device_type,
                  r.device_id.empty() ? "" : " DeviceId " + r.device_id,
                  r.user.empty() ? "" : " User " + r.user,
                  r.user_agent.empty() ? "" : " User-Agent " + r.user_agent);
    }
    if (!o.state_file.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(o.state_file).parent_path(), ec);
    }
    Bindings bindings(rules.binding_ttl, o.state_file, error);
    if (!error.empty()) {
        log->error("--state {}", error);
        return 2;
    }
    if (const auto kept = bindings.list(); !kept.empty()) {
        log->info("{} redirect binding(s) kept from {} (easproxy redirects list)", kept.size(),
                  o.state_file);
    }

    auto tls = tls_settings(o, *log);
    if (!tls) return 2;

    // Regular mode: a plain listener; CONNECT gets a certificate minted from the CA.
    std::unique_ptr<LeafContexts> leaves;
    std::optional<std::regex> ignore_hosts;
    if (regular) {
        leaves = std::make_unique<LeafContexts>(o.ca_dir, tls->device, error);
        if (!error.empty()) {
            log->error("--ca-dir {}: {}", o.ca_dir, error);
            return 2;
        }
        log->info(
            "regular mode: devices must trust the CA {} ({}); they can fetch it from "
            "http://easproxy.cert/ through the proxy",
            leaves->ca_cert_path(), leaves->created() ? "created now" : "existing");
        if (!o.ignore_hosts.empty()) {
            try {
                ignore_hosts.emplace(o.ignore_hosts, std::regex::ECMAScript | std::regex::icase);
            } catch (const std::regex_error& e) {
                log->error("--ignore-hosts \"{}\": {}", o.ignore_hosts, e.what());
                return 2;
            }
        }
    }

    // TLS on both sides.
    std::unique_ptr<net::ssl::context> device_tls;
    std::string device_cert_pem;
    if (!o.plain && !regular) {
        if (o.cert.empty()) {
            log->error(
                "reverse mode needs --cert FILE (PEM with certificate chain and key), or --plain");
            return 2;
        }
        net::ServerTlsOptions so;
        so.versions = tls->device;
        if (!net::load_pem_bundle(o.cert, so, error) ||
            !(device_tls = net::make_server_context(so, error))) {
            log->error("--cert {}: {}", o.cert, error);
            return 2;
        }
        device_cert_pem = so.cert_chain_pem;
        net::attach_keylog(*device_tls);
    }
    auto upstream_tls = net::make_client_context(tls->upstream, error);
    if (!upstream_tls) {
        log->error("upstream TLS: {}", error);
        return 2;
    }
    net::attach_keylog(*upstream_tls);

    // Flow observers: log lines and the trace.
    RecordOptions record;
    record.keep_secrets = o.keep_secrets;
    record.run = run_id();
    const auto level = redact::parse_level(o.redact).value_or(redact::Level::Secrets);
    if (o.keep_secrets && level != redact::Level::Secrets) {
        log->error("--trace-secrets and --redact {} contradict each other: pick one", o.redact);
        return 2;
    }
    if (!o.keep_secrets) {
        record.redactor = std::make_shared<redact::Redactor>(
            level, o.redact_key.empty() ? redact::random_key()
                                        : redact::key_from_passphrase(o.redact_key));
        set_log_redactor(record.redactor);
        if (level != redact::Level::Secrets)
            log->info("--redact {}: traces and logs keep structure, not {}", o.redact,
                      level == redact::Level::Strict ? "content or identities" : "content");
    }
    record.decoded_bodies = o.trace_bodies == "decoded" || o.trace_bodies == "both";
    record.raw_bodies = o.trace_bodies == "raw" || o.trace_bodies == "both";
    FlowEvents events;
    events.add(std::make_shared<FlowLog>(log, record));
    auto counters = std::make_shared<RedirectCounters>();
    events.add(counters);
    std::shared_ptr<TraceWriter> trace;
    if (!o.trace.empty()) {
        trace = std::make_shared<TraceWriter>(o.trace, record, error);
        if (!error.empty()) {
            log->error("--trace {}", error);
            return 2;
        }
        events.add(trace);
    }
    // The live view and /metrics (--web): recent flows, devices and counts, kept in memory.
    std::shared_ptr<LiveFlows> live;
    if (!o.web.empty()) {
        LiveOptions lo;
        lo.max_flows = o.web_flows;
        lo.record = record;
        live = std::make_shared<LiveFlows>(lo);
        events.add(live);
    }

    // Listener and workers.
    const auto endpoint = parse_listen(o.listen, error);
    if (!endpoint) {
        log->error("{}", error);
        return 2;
    }
    const unsigned threads =
        o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
    ConnectionLimiter limiter(settings.max_upstream_connections, settings.upstream_queue_timeout);
    PoolLimits pool_limits;
    pool_limits.connect_timeout = settings.upstream_connect_timeout;
    pool_limits.idle_timeout = settings.upstream_idle_timeout;
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned i = 0; i < threads; ++i) {
        auto w = std::make_unique<Worker>();
        w->pool = std::make_unique<UpstreamPool>(w->io.get_executor(), upstream_tls.get(),
                                                 pool_limits, &limiter);
        workers.push_back(std::move(w));
    }
    auto& main_io = workers.front()->io;
    net::tcp::acceptor acceptor(main_io);
    try {
        acceptor.open(endpoint->protocol());
        acceptor.set_option(net::tcp::acceptor::reuse_address(true));
        acceptor.bind(*endpoint);
        acceptor.listen(net::asio::socket_base::max_listen_connections);
    } catch (const boost::system::system_error& e) {
        log->error("cannot listen on {}: {}", o.listen, e.code().message());
        return 2;
    }
    const auto bound = acceptor.local_endpoint();
    const std::string scheme = o.plain || regular ? "http" : "https";
    const std::string listener =
        scheme + "://" + bound.address().to_string() + ":" + std::to_string(bound.port());
    log->info("easproxy listening on {} -> {} (451: {}, {} I/O thread{}{})", listener,
              regular ? "regular mode: each CONNECT's host"
                      : "reverse mode: " + settings.upstream.to_string(),
              o.on_451, threads, threads == 1 ? "" : "s",
              o.trace.empty() ? "" : ", trace " + o.trace);

    // The web listener: the CA install page (regular mode's CA, or in reverse mode a CA made
    // with `easproxy ca init` in --ca-dir).
    std::unique_ptr<WebServer> web;
    if (!o.web.empty()) {
        WebContent content;
        content.token = o.web_token;
        content.live = live;
        content.bindings = &bindings;
        content.counters = counters;
        content.trace = trace;
        if (leaves) {
            content.ca_pem = leaves->ca().cert_pem;
        } else if (const certs::CaPaths paths(o.ca_dir); certs::ca_exists(paths)) {
            std::string ca_error;
            if (auto ca = certs::load_ca(paths, ca_error)) {
                content.ca_pem = ca->cert_pem;
            } else {
                log->warn("--web: the CA in {} is not offered: {}", o.ca_dir, ca_error);
            }
        }
        web = WebServer::start(main_io, o.web, content, log, error);
        if (!web) {
            log->error("{}", error);
            return 2;
        }
        log->info("web page on {} (CA install page: {}ca/)", web->url(), web->url());
    }

    std::atomic<std::uint64_t> next_flow_id{0};
    std::atomic<int> active{0};
    if (web) web->set_open_connections(&active);
    std::atomic<bool> stopping{false};

    // Accept loop: each connection goes to the next worker, round robin.
    net::asio::co_spawn(
        main_io,
        [&]() -> net::awaitable<void> {
            std::size_t next = 0;
            std::uint64_t refused = 0;   // connections left waiting while descriptors ran out
            std::uint64_t over_cap = 0;  // connections reset over --max-connections
            net::asio::steady_timer pause(main_io);
            for (;;) {
                auto& w = *workers[next++ % workers.size()];
                net::tcp::socket socket(w.io);
                boost::system::error_code ec;
                co_await acceptor.async_accept(socket,
                                               net::asio::redirect_error(net::use_awaitable, ec));
                if (ec) {
                    if (stopping) co_return;
                    const int e = ec.value();
                    if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
                        // Out of descriptors or memory: retrying at once would spin and flood
                        // the log. Pause; the waiting connections stay in the listen queue.
                        if (refused++ == 0)
                            log->error(
                                "accept: {}; pausing new connections until some close "
                                "(raise the descriptor limit: ulimit -n)",
                                ec.message());
                        pause.expires_after(std::chrono::milliseconds(250));
                        boost::system::error_code ignored;
                        co_await pause.async_wait(
                            net::asio::redirect_error(net::use_awaitable, ignored));
                    } else {
                        log->warn("accept failed: {}", ec.message());
                    }
                    continue;
                }
                if (refused) {
                    log->info("accept: accepting again after {} paused attempt(s)", refused);
                    refused = 0;
                }
                if (max_connections &&
                    static_cast<std::uint64_t>(active.load()) >= max_connections) {
                    boost::system::error_code ignored;
                    socket.set_option(net::asio::socket_base::linger(true, 0), ignored);  // RST
                    socket.close(ignored);
                    if (over_cap++ == 0)
                        log->warn(
                            "{} device connections open (--max-connections): new ones are "
                            "reset until some close",
                            max_connections);
                    continue;
                }
                if (over_cap) {
                    log->info("below --max-connections again: {} connection(s) were reset",
                              over_cap);
                    over_cap = 0;
                }
                socket.set_option(net::tcp::no_delay(true));
                SessionContext ctx{settings, events,       *w.pool,
                                   log,      next_flow_id, listener,
                                   rules,    bindings,     settings.upstream,
                                   regular,  leaves.get(), ignore_hosts ? &*ignore_hosts : nullptr};
                ++active;
                net::asio::co_spawn(
                    w.io, run_session(std::move(socket), device_tls.get(), std::move(ctx)),
                    [&active, log](std::exception_ptr e) {
                        --active;
                        if (!e) return;
                        try {
                            std::rethrow_exception(e);
                        } catch (const std::exception& ex) {
                            log->error("session ended unexpectedly: {}", ex.what());
                        }
                    });
            }
        },
        net::asio::detached);

    // Signals.
    net::asio::signal_set signals(main_io, SIGINT, SIGTERM, SIGHUP);
    signals.add(SIGUSR1);
    std::function<void(boost::system::error_code, int)> on_signal =
        [&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGUSR1) {
                log->info(
                    "SIGUSR1 status: {} connection(s) in flight, {} flow(s) so far, {} redirect "
                    "binding(s)",
                    active.load(), next_flow_id.load(), bindings.list().size());
                for (const auto& line : counters->report()) log->info("  redirects {}", line);
                signals.async_wait(on_signal);
                return;
            }
            if (sig == SIGHUP) {
                log->info("SIGHUP: reopening the trace and log files");
                std::string reopen_error;
                if (!log_setup->reopen(reopen_error))
                    std::fprintf(stderr, "easproxy: SIGHUP: cannot reopen the log %s\n",
                                 reopen_error.c_str());
                if (trace) trace->reopen();
                log->info("SIGHUP: log reopened");
                signals.async_wait(on_signal);
                return;
            }
            log->info("{}: no new connections; {} in flight get up to {} s to finish",
                      sig == SIGINT ? "SIGINT" : "SIGTERM", active.load(), o.shutdown_grace);
            stopping = true;
            boost::system::error_code ignored;
            acceptor.close(ignored);
            if (web) web->stop();
            // Wait for the in-flight count to drop to zero, or the grace period to end.
            const auto deadline =
                std::chrono::steady_clock::now() + std::chrono::seconds(o.shutdown_grace);
            net::asio::co_spawn(
                main_io,
                [&, deadline]() -> net::awaitable<void> {
                    net::asio::steady_timer timer(main_io);
                    while (active > 0 && std::chrono::steady_clock::now() < deadline) {
                        timer.expires_after(std::chrono::milliseconds(50));
                        co_await timer.async_wait(net::use_awaitable);
                    }
                    if (active > 0)
                        log->warn("grace period over: closing {} connection(s) still in flight",
                                  active.load());
                    for (auto& w : workers) w->io.stop();
                },
                net::asio::detached);
        };
    signals.async_wait(on_signal);

    std::vector<std::thread> pool_threads;
    for (std::size_t i = 1; i < workers.size(); ++i) {
        pool_threads.emplace_back([&w = *workers[i]] {
            auto guard = net::asio::make_work_guard(w.io);
            w.io.run();
        });
    }
    main_io.run();
    for (auto& w : workers) w->io.stop();
    for (auto& t : pool_threads) t.join();
    if (live) live->drain();  // its thread posts to the I/O contexts: done before they go
    if (trace) {
        trace->flush_and_stop();
        log->info("trace {}: {} flow(s) written{}", o.trace, trace->written(),
                  trace->write_errors()
                      ? ", " + std::to_string(trace->write_errors()) + " write error(s)"
                      : "");
    }
    for (const auto& line : counters->report()) log->info("redirects {}", line);
    log->info("easproxy stopped");
    return 0;
}

}  // namespace eas::proxy
