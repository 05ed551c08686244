#include "session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <set>

#include "base64.hpp"
#include "ca_page.hpp"
#include "flow_log.hpp"
#include "hangup_watch.hpp"
#include "leaf_contexts.hpp"
#include "message_reader.hpp"
#include "tls_context.hpp"

namespace eas::proxy {
namespace {

using Steady = std::chrono::steady_clock;

// The host name devices browse to (through the proxy) for the CA install page.
constexpr std::string_view kCaPageHost = "easproxy.cert";

// How a body is framed on the way out.
enum class Framing { None, Length, Chunked, Close };

std::string chunk_header(std::size_t n) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%zx\r\n", n);
    return buf;
}

// Writes one body piece in the framing chosen for the other side.
net::awaitable<void> write_body(net::Stream& out, Framing framing, std::string_view data) {
    if (data.empty()) co_return;
    if (framing == Framing::Chunked) {
        const std::string head = chunk_header(data.size());
        std::vector<net::asio::const_buffer> parts{net::asio::buffer(head),
                                                   net::asio::buffer(data.data(), data.size()),
                                                   net::asio::buffer("\r\n", 2)};
        co_await out.write(parts);
    } else {
        co_await out.write(net::asio::buffer(data.data(), data.size()));
    }
}

// A body piece appended in its framing to bytes that go out in one write.
void append_body(std::string& out, Framing framing, std::string_view data) {
    if (data.empty()) return;
    if (framing == Framing::Chunked) {
        out += chunk_header(data.size());
        out.append(data);
        out += "\r\n";
    } else {
        out.append(data);
    }
}

net::awaitable<void> end_body(net::Stream& out, Framing framing) {
    if (framing == Framing::Chunked) co_await out.write(net::asio::buffer("0\r\n\r\n", 5));
}

// The head to forward: hop-by-hop headers dropped, framing chosen for the next hop.
http::MessageHead forward_head(const http::MessageHead& in, Framing& framing, bool to_device) {
    http::MessageHead out = in;
    out.headers.clear();
    for (const auto& h : in.headers) {
        if (http::is_hop_by_hop(in, h.name)) continue;
        if (http::iequals(h.name, "Expect")) continue;  // easproxy answers 100-continue itself
        out.headers.push_back(h);
    }
    const bool bodiless_status =
        !in.is_request && (in.status == 204 || in.status == 304 || in.status < 200);
    if (in.content_length) {
        framing = Framing::Length;
    } else if (in.chunked) {
        framing = Framing::Chunked;
        out.headers.push_back({"Transfer-Encoding", "chunked"});
    } else if (in.is_request || bodiless_status) {
        framing = Framing::None;
    } else {
        // A close-delimited response: chunk it for the device so its connection can stay open.
        framing = to_device && in.version_minor >= 1 ? Framing::Chunked : Framing::Close;
        if (framing == Framing::Chunked) out.headers.push_back({"Transfer-Encoding", "chunked"});
    }
    out.version_major = 1;
    out.version_minor = 1;
    return out;
}

// The user name of a Basic Authorization header (never the password), or "".
std::string basic_auth_user(const http::MessageHead& head) {
    const auto* auth = head.find("Authorization");
    if (!auth || auth->size() < 6 || !http::iequals(std::string_view(*auth).substr(0, 6), "Basic "))
        return {};
    const auto decoded = base64_decode(std::string_view(*auth).substr(6));
    if (!decoded) return {};
    return decoded->substr(0, decoded->find(':'));
}

// What a failed device handshake most likely means, for the log line.
std::string handshake_hint(const std::string& reason) {
    if (reason.find("unsupported protocol") != std::string::npos ||
        reason.find("version") != std::string::npos) {
        return " (the device offers only TLS versions below --device-tls-min; --device-tls-min "
               "1.0 admits legacy devices)";
    }
    if (reason.find("no shared cipher") != std::string::npos)
        return " (no cipher in common: see --device-ciphers)";
    return " (not a TLS client, or it does not trust the certificate?)";
}

std::string reason_phrase(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 413:
            return "Content Too Large";
        case 431:
            return "Request Header Fields Too Large";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "Error";
    }
}

class Session {
  public:
    Session(net::tcp::socket socket, net::ssl::context* tls, SessionContext ctx)
        : ctx_(std::move(ctx)),
          device_(tls ? net::Stream(std::move(socket), *tls) : net::Stream(std::move(socket))),
          watchdog_(device_, device_.socket().get_executor()),
          client_(device_.remote()),
          upstream_(ctx_.upstream) {
        reader_.emplace(device_, http::Parser::Type::Request, ctx_.settings.limits);
    }

    net::awaitable<void> run() {
        if (device_.is_tls()) {
            watchdog_.expires_after(ctx_.settings.handshake_timeout);
            try {
                co_await device_.handshake_server();
            } catch (const boost::system::system_error& e) {
                const auto reason = net::describe_tls_error(e.code());
                ctx_.log->warn("{}: TLS handshake with the device failed: {}{}", client_, reason,
                               watchdog_.fired() ? " (timed out)" : handshake_hint(reason));
                co_return;
            }
        }
        while (co_await exchange()) {
        }
        device_.close();
    }

  private:
    SessionContext ctx_;
    // Regular mode: the certificate shown after CONNECT (declared first: it outlives device_).
    std::shared_ptr<net::ssl::context> leaf_;
    net::Stream device_;
    net::Watchdog watchdog_;
    std::optional<MessageReader> reader_;  // replaced when CONNECT turns the connection into TLS
    std::string client_;
    bool request_done_ = false;  // the current request's End event has been consumed
    Origin upstream_;  // where this connection's requests go unless a 451 binding says otherwise

    // One request/response exchange. False: the device connection is done.
    net::awaitable<bool> exchange() {
        watchdog_.expires_after(ctx_.settings.idle_timeout);
        ReadFailure failure;
        request_done_ = false;
        // The idle timeout covers the wait for a request's first byte only: from there the head
        // must be complete within --request-timeout, or a client dripping a byte now and then
        // (slowloris) would hold the connection for the whole idle timeout.
        auto first = co_await reader_->next(failure, watchdog_.fired_flag(), [this] {
            watchdog_.expires_after(ctx_.settings.request_timeout);
        });
        if (first && first->kind != http::EventKind::Head) {
            // Out of step with the parser: never treat leftovers as a new request.
            ctx_.log->error("{}: internal: a request began without a head; closing the connection",
                            client_);
            co_return false;
        }
        if (!first) {
            if (failure.kind == ReadFailure::Kind::Parse) {
                ctx_.log->warn("{}: malformed request ({}); answered {}", client_, failure.reason,
                               failure.http_status);
                co_await reply(failure.http_status, "easproxy: " + failure.reason + "\n", true);
            } else if (failure.kind == ReadFailure::Kind::Timeout &&
                       reader_->parser().in_message()) {
                ctx_.log->warn(
                    "{}: request head not complete {} s after its first byte "
                    "(--request-timeout); connection closed",
                    client_, ctx_.settings.request_timeout.count());
            }
            co_return false;  // closed, idle timeout, or I/O error between requests: nothing to
                              // report
        }

        if (ctx_.regular) {
            const auto& head = reader_->head();
            if (head.method == "CONNECT") co_return co_await connect(head.target);
            if (!device_.is_tls() && !take_absolute_url()) {
                ctx_.log->warn(
                    "{}: {} {} without an absolute URL on the explicit-proxy port; answered 400",
                    client_, head.method, head.target);
                co_await reply(
                    400, "easproxy: this is an explicit proxy: send absolute URLs, or CONNECT\n",
                    true);
                co_return false;
            }
        }

        if (ctx_.regular && ctx_.leaves && http::iequals(upstream_.host, kCaPageHost))
            co_return co_await serve_ca_page();

        Flow flow;
        flow.id = ++ctx_.next_flow_id;
        flow.client = client_;
        flow.listener = ctx_.listener;
        flow.started_at = Clock::now();
        flow.started = Steady::now();
        flow.request = reader_->head();
        flow.request_body.announce(flow.request.content_length, ctx_.settings.decode_limit);
        flow.eas = parse_request_line(flow.request.target);
        flow.auth_user = basic_auth_user(flow.request);
        flow.upstream = upstream_.to_string();
        ctx_.events.request_headers(flow);

        const bool device_keep_alive = flow.request.keep_alive;
        if (flow.request.content_length &&
            *flow.request.content_length > ctx_.settings.max_request_body) {
            co_return co_await fail(
                flow, 413, "device request",
                "request body of " + std::to_string(*flow.request.content_length) +
                    " bytes is over the " + std::to_string(ctx_.settings.max_request_body) +
                    "-byte limit",
                true);
        }
        if (const auto* expect = flow.request.find("Expect");
            expect && http::iequals(*expect, "100-continue")) {
            co_await device_.write(net::asio::buffer("HTTP/1.1 100 Continue\r\n\r\n", 25));
        }

        // Upstream: where a 451 bound this device, else the configured one.
        const RedirectRules& rules = ctx_.rules;
        const std::string binding_key = Bindings::key(flow.user(), flow.eas.device_id);
        Origin target = upstream_;
        bool from_binding = false;
        const On451 mode =
            mode_for(rules, DeviceIdentity{flow.user(), flow.eas.device_id, flow.eas.device_type,
                                           flow.request.value_or("User-Agent")});
        if (mode != On451::Pass && !flow.eas.device_id.empty()) {
            if (auto bound = ctx_.bindings.find(binding_key)) {
                target = *bound;
                from_binding = true;
            }
        }
        flow.upstream = target.to_string();
        const auto connect_started = Steady::now();
        auto lease = co_await ctx_.pool.acquire(target);
        if (!lease.conn && lease.over_limit) {
            const bool drained = co_await drain_request(flow);
            co_return co_await fail(flow, 503, "upstream connect", lease.error,
                                    !drained || !device_keep_alive);
        }
        if (!lease.conn) {
            if (from_binding) {
                ctx_.bindings.drop(binding_key);
                lease.error +=
                    " (the redirect binding for this device is dropped; its next request goes to " +
                    upstream_.to_string() + ")";
            }
            const bool drained = co_await drain_request(flow);
            co_return co_await fail(flow, 502, "upstream connect", lease.error,
                                    !drained || !device_keep_alive);
        }
        if (lease.queued.count() > 0) flow.upstream_queue = lease.queued;
        if (!lease.reused) flow.upstream_connect = Steady::now() - connect_started - lease.queued;
        std::unique_ptr<UpstreamConnection> conn = std::move(lease.conn);
        auto up_watchdog =
            std::make_unique<net::Watchdog>(conn->stream, conn->stream.socket().get_executor());

        // Request: head, then the body as it arrives. With follow on, the body is also kept (up
        // to the replay bound) so a 451 can be re-sent elsewhere.
        Framing request_framing = Framing::None;
        http::MessageHead up_head = forward_head(flow.request, request_framing, false);
        set_host(up_head, target);
        const std::string up_head_text = http::serialize_head(up_head);
        bool replayable = mode == On451::Follow;
        std::string replay;
        std::string up_out = up_head_text;  // the head goes out with the first body piece
        for (;;) {
            watchdog_.expires_after(ctx_.settings.request_timeout);
            auto ev = co_await reader_->next(failure, watchdog_.fired_flag());
            if (!ev) {
                conn->stream.close();
                co_return co_await fail(
                    flow, failure.kind == ReadFailure::Kind::Parse ? failure.http_status : 0,
                    "device request",
                    failure.kind == ReadFailure::Kind::Timeout
                        ? "the device stopped sending its request body"
                        : "the device's request broke off: " + failure.reason,
                    true);
            }
            if (ev->kind == http::EventKind::End) {
                request_done_ = true;
                // The request is in: --request-timeout no longer applies. Left armed, it would
                // cut every Ping or Sync Wait held longer than that; a device hanging up during
                // the wait is noticed by the HangupWatch below, the upstream has
                // --response-timeout.
                watchdog_.disarm();
                break;
            }
            if (ev->kind != http::EventKind::Body) continue;
            flow.request_body.append(ev->body, ctx_.settings.decode_limit);
            if (replayable) {
                if (replay.size() + ev->body.size() > rules.replay_limit) {
                    replayable = false;
                    replay = std::string();
                } else {
                    replay.append(ev->body);
                }
            }
            if (flow.request_body.bytes > ctx_.settings.max_request_body) {
                conn->stream.close();
                co_return co_await fail(flow, 413, "device request",
                                        "request body is over the " +
                                            std::to_string(ctx_.settings.max_request_body) +
                                            "-byte limit",
                                        true);
            }
            up_watchdog->expires_after(ctx_.settings.send_timeout);
            append_body(up_out, request_framing, ev->body);
            const bool sent = co_await try_write(conn->stream, net::asio::buffer(up_out));
            up_out.clear();
            if (!sent) {
                const bool drained = co_await drain_request(flow);
                co_return co_await fail(
                    flow, 502, "upstream request",
                    "the upstream closed the connection while the request body was sent", !drained);
            }
        }
        if (request_framing == Framing::Chunked) up_out += "0\r\n\r\n";
        up_watchdog->expires_after(ctx_.settings.send_timeout);
        if (!up_out.empty() && !co_await try_write(conn->stream, net::asio::buffer(up_out))) {
            co_return co_await fail(flow, 502, "upstream request",
                                    "the upstream closed the connection", false);
        }

        // While the upstream holds the request (a Ping may wait an hour), a device that hangs
        // up gets its upstream request abandoned rather than left parked at the CAS.
        std::optional<net::HangupWatch> hangup;
        hangup.emplace(device_.socket(), [&conn] {
            if (conn) conn->stream.close();
        });
        const auto device_gone = [&] {
            return fail(flow, 0, "device",
                        "the device closed its connection after " +
                            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                               Steady::now() - flow.started)
                                               .count()) +
                            " s of waiting for the upstream's answer; the upstream request is "
                            "abandoned",
                        true);
        };

        // Response head (1xx interim answers are skipped: the device got its 100 Continue).
        if (auto error = co_await read_response_head(*conn, *up_watchdog, flow)) {
            if (hangup->fired()) co_return co_await device_gone();
            co_return co_await fail(flow, error->first, "upstream response", error->second,
                                    !device_keep_alive);
        }

        // 451: pass it on, or follow it on the device's behalf.
        std::set<std::string> visited{target.to_string()};
        int hops = 0;
        while (flow.response->status == 451) {
            flow.ms_location = flow.response->value_or("X-MS-Location");
            flow.redirect_decision = "pass";
            ctx_.events.redirect_seen(flow);
            if (mode == On451::Pass) break;
            if (from_binding) {
                // The upstream this device was bound to redirects it again: forget that binding.
                ctx_.bindings.drop(binding_key);
                from_binding = false;
            }
            auto verdict = check_redirect(flow.ms_location, upstream_, rules, visited, hops);
            if (mode == On451::Rewrite) {
                // The device is told to come back here (the URL it used); easproxy remembers
                // where it really belongs and sends its next requests there.
                if (verdict.allowed) {
                    if (!flow.eas.device_id.empty())
                        ctx_.bindings.bind(binding_key, verdict.target);
                    flow.redirect_decision = "rewritten";
                } else {
                    flow.redirect_decision = "refused: " + verdict.reason;
                    ctx_.log->warn("{} {}: 451 to {} not rewritten: {}; the 451 goes to the device",
                                   who(flow), flow.eas.command, flow.ms_location, verdict.reason);
                }
                break;
            }
            if (verdict.allowed && !replayable) {
                verdict.allowed = false;
                verdict.reason = "the request body is over the " +
                                 std::to_string(rules.replay_limit) +
                                 "-byte replay bound, so it was not kept to re-send";
            }
            if (!verdict.allowed) {
                flow.redirect_decision = "refused: " + verdict.reason;
                ctx_.log->warn("{} {}: 451 to {} not followed: {}; the 451 goes to the device",
                               who(flow), flow.eas.command, flow.ms_location, verdict.reason);
                break;
            }
            // Finish the 451 (its body is empty in practice) so the connection can be reused.
            const bool drained = co_await drain_response(*conn, *up_watchdog);
            up_watchdog.reset();
            if (drained && flow.response->keep_alive) {
                ctx_.pool.release(target, std::move(conn));
            } else {
                conn->stream.close();
            }
            target = verdict.target;
            visited.insert(target.to_string());
            ++hops;
            auto next = co_await ctx_.pool.acquire(target);
            if (hangup->fired()) co_return co_await device_gone();
            if (!next.conn) {
                flow.redirect_decision = "refused: " + next.error;
                co_return co_await fail(
                    flow, next.over_limit ? 503 : 502, "redirect",
                    "following the 451 to " + flow.ms_location + " failed: " + next.error,
                    !device_keep_alive);
            }
            conn = std::move(next.conn);
            up_watchdog =
                std::make_unique<net::Watchdog>(conn->stream, conn->stream.socket().get_executor());
            http::MessageHead again = forward_head(flow.request, request_framing, false);
            set_host(again, target);
            again.target = redirect_target(flow.request.target, verdict.path);
            drop_header(again, "Transfer-Encoding");
            drop_header(again, "Content-Length");
            if (!replay.empty() || flow.request.content_length || flow.request.chunked) {
                again.headers.push_back({"Content-Length", std::to_string(replay.size())});
            }
            const std::string again_text = http::serialize_head(again);
            up_watchdog->expires_after(ctx_.settings.send_timeout);
            if (!co_await try_write(conn->stream, net::asio::buffer(again_text)) ||
                !co_await try_write(conn->stream, net::asio::buffer(replay))) {
                co_return co_await fail(
                    flow, 502, "redirect",
                    "the upstream at " + flow.ms_location + " closed the connection",
                    !device_keep_alive);
            }
            flow.redirect_chain.push_back(flow.upstream);
            flow.upstream = target.to_string();
            if (auto error = co_await read_response_head(*conn, *up_watchdog, flow)) {
                if (hangup->fired()) co_return co_await device_gone();
                co_return co_await fail(flow, error->first, "upstream response", error->second,
                                        !device_keep_alive);
            }
            // The device's next requests go to the new upstream directly (one log line per flow:
            // FlowLog reports the follow when the flow completes).
            if (!flow.eas.device_id.empty()) ctx_.bindings.bind(binding_key, target);
            flow.redirect_decision = "followed";
        }
        hangup.reset();  // from here on, writes to the device notice a hang-up
        UpstreamConnection& upstream = *conn;
        net::Watchdog& upstream_watchdog = *up_watchdog;
        auto& up_reader = upstream.reader;

        // Response to the device: head, then the body as it arrives.
        Framing response_framing = Framing::None;
        http::MessageHead device_head = forward_head(*flow.response, response_framing, true);
        if (flow.response->status == 451 &&
            (flow.redirect_decision == "rewritten" || flow.ms_location.empty())) {
            // Rewritten: exactly the scheme, host, port and path this device used (devices keep
            // only parts of it). And never a 451 without X-MS-Location: devices fail on that.
            drop_header(device_head, "X-MS-Location");
            flow.rewritten_location = own_url(flow.request);
            device_head.headers.push_back({"X-MS-Location", flow.rewritten_location});
            if (flow.ms_location.empty()) {
                ctx_.log->warn(
                    "{} {}: the upstream's 451 has no X-MS-Location; easproxy added {} so the "
                    "device "
                    "does not fail",
                    who(flow), flow.eas.command, flow.rewritten_location);
            }
        }
        const bool close_after = !device_keep_alive || response_framing == Framing::Close;
        if (close_after) device_head.headers.push_back({"Connection", "close"});
        const std::string device_head_text = http::serialize_head(device_head);
        std::string down_out = device_head_text;  // one TLS record for head and first piece
        for (;;) {
            upstream_watchdog.expires_after(ctx_.settings.response_timeout);
            auto ev = co_await up_reader.next(failure, upstream_watchdog.fired_flag());
            if (!ev) {
                // Headers are out: the device can only learn of it from the connection closing.
                co_return co_await fail(flow, 0, "upstream response",
                                        "the upstream broke off the response after " +
                                            std::to_string(flow.response_body.bytes) +
                                            " body bytes: " + failure.reason,
                                        true);
            }
            if (ev->kind == http::EventKind::End) break;
            if (ev->kind != http::EventKind::Body) continue;
            flow.response_body.append(ev->body, ctx_.settings.decode_limit);
            watchdog_.expires_after(ctx_.settings.send_timeout);
            append_body(down_out, response_framing, ev->body);
            const bool sent = co_await try_write(device_, net::asio::buffer(down_out));
            down_out.clear();
            if (!sent) {
                upstream.stream.close();
                co_return co_await fail(
                    flow, 0, "device response",
                    watchdog_.fired() ? "the device stopped reading the response"
                                      : "the device closed the connection during the response",
                    true);
            }
        }
        if (response_framing == Framing::Chunked) down_out += "0\r\n\r\n";
        watchdog_.expires_after(ctx_.settings.send_timeout);
        if (!down_out.empty() && !co_await try_write(device_, net::asio::buffer(down_out))) {
            upstream.stream.close();
            co_return co_await fail(flow, 0, "device response", "the device closed the connection",
                                    true);
        }
        upstream_watchdog.disarm();
        flow.finished = Steady::now() - flow.started;
        ctx_.events.response_complete(flow);

        if (flow.response->keep_alive && !up_reader.parser().in_message() &&
            up_reader.pending().empty()) {
            upstream.requests++;
            up_watchdog.reset();
            ctx_.pool.release(target, std::move(conn));
        } else {
            upstream.stream.close();
        }
        if (close_after) {
            co_await device_.shutdown();
            co_return false;
        }
        co_return true;
    }

    // http://easproxy.cert/ through the proxy: the CA install page, answered here.
    net::awaitable<bool> serve_ca_page() {
        const http::MessageHead request = reader_->head();
        Flow ignored;
        if (!co_await drain_request(ignored)) co_return false;
        auto page = ca_page(request.target, ctx_.leaves->ca().cert_pem);
        if (!page) {
            page = PageResponse{404, "text/plain; charset=utf-8",
                                "easproxy: no such page; the CA is at http://easproxy.cert/\n", ""};
        }
        http::MessageHead h;
        h.is_request = false;
        h.status = page->status;
        h.reason = page->status == 200 ? "OK" : page->status == 404 ? "Not Found" : "Error";
        h.headers = {{"Content-Type", page->content_type},
                     {"Content-Length", std::to_string(page->body.size())},
                     {"Cache-Control", "no-store"}};
        if (!page->filename.empty()) {
            h.headers.push_back(
                {"Content-Disposition", "attachment; filename=\"" + page->filename + "\""});
        }
        if (!request.keep_alive) h.headers.push_back({"Connection", "close"});
        ctx_.log->info("{}: CA install page {} -> {}", client_, request.target, page->status);
        watchdog_.expires_after(ctx_.settings.send_timeout);
        if (!co_await try_write(device_, net::asio::buffer(http::serialize_head(h) + page->body)))
            co_return false;
        co_return request.keep_alive;
    }

    // Regular mode, plain HTTP: "GET http://host/path" goes to host, as "GET /path".
    bool take_absolute_url() {
        auto& target = reader_->parser().head().target;
        if (target.rfind("http://", 0) != 0 && target.rfind("https://", 0) != 0) return false;
        std::string error;
        auto origin = parse_origin(target, error);
        if (!origin) return false;
        upstream_ = *origin;
        const auto path_start = target.find('/', target.find("://") + 3);
        target = path_start == std::string::npos ? "/" : target.substr(path_start);
        return true;
    }

    // CONNECT host:port: intercept with a minted leaf certificate, or tunnel untouched.
    net::awaitable<bool> connect(const std::string& authority) {
        std::string error;
        auto origin = parse_origin("https://" + authority, error);
        if (!origin) {
            co_await reply(400, "easproxy: CONNECT " + authority + ": " + error + "\n", true);
            co_return false;
        }
        if (ctx_.ignore_hosts && std::regex_search(origin->host, *ctx_.ignore_hosts)) {
            co_await tunnel(*origin);
            co_return false;
        }
        leaf_ = ctx_.leaves->for_host(origin->host, error);
        if (!leaf_) {
            ctx_.log->error("{}: CONNECT {}: cannot mint a certificate: {}", client_, authority,
                            error);
            co_await reply(502, "easproxy: cannot mint a certificate for " + origin->host + "\n",
                           true);
            co_return false;
        }
        if (!co_await try_write(
                device_, net::asio::buffer("HTTP/1.1 200 Connection Established\r\n\r\n", 39))) {
            co_return false;
        }
        device_.upgrade_to_tls(*leaf_);
        watchdog_.expires_after(ctx_.settings.handshake_timeout);
        try {
            co_await device_.handshake_server();
        } catch (const boost::system::system_error& e) {
            const auto reason = net::describe_tls_error(e.code());
            ctx_.log->warn("{}: TLS handshake after CONNECT {} failed: {}{}", client_, authority,
                           reason,
                           reason.find("version") != std::string::npos ||
                                   reason.find("unsupported protocol") != std::string::npos
                               ? handshake_hint(reason)
                               : " (does the device trust the easproxy CA?)");
            co_return false;
        }
        upstream_ = *origin;
        reader_.emplace(device_, http::Parser::Type::Request, ctx_.settings.limits);
        co_return true;
    }

    // --ignore-hosts: bytes go both ways untouched until either side closes.
    net::awaitable<void> tunnel(const Origin& origin) {
        const auto pending = std::string(reader_->pending());
        auto ex = device_.socket().get_executor();
        auto up = std::make_shared<net::Stream>(net::tcp::socket(ex));
        std::string failed;
        try {
            net::tcp::resolver resolver(ex);
            const auto endpoints = co_await resolver.async_resolve(
                origin.host, std::to_string(origin.port), net::use_awaitable);
            co_await net::asio::async_connect(up->socket(), endpoints, net::use_awaitable);
        } catch (const boost::system::system_error& e) {
            failed = e.code().message();
        }
        if (!failed.empty()) {
            ctx_.log->warn("{}: tunnel to {}: {}", client_, origin.authority(), failed);
            co_await reply(502, "easproxy: cannot reach " + origin.authority() + "\n", true);
            co_return;
        }
        ctx_.log->info("{}: CONNECT {} tunnelled untouched (--ignore-hosts)", client_,
                       origin.authority());
        if (!co_await try_write(
                device_, net::asio::buffer("HTTP/1.1 200 Connection Established\r\n\r\n", 39)) ||
            (!pending.empty() && !co_await try_write(*up, net::asio::buffer(pending)))) {
            up->close();
            co_return;
        }
        watchdog_.disarm();
        // Upstream-to-device runs beside this coroutine; wait for it before the session ends.
        bool other_done = false;
        net::asio::steady_timer done(ex, std::chrono::steady_clock::time_point::max());
        net::asio::co_spawn(ex, pump(*up, device_), [&](std::exception_ptr) {
            other_done = true;
            done.cancel();
        });
        co_await pump(device_, *up);
        if (!other_done) {
            boost::system::error_code ec;
            co_await done.async_wait(net::asio::redirect_error(net::use_awaitable, ec));
        }
    }

    static net::awaitable<void> pump(net::Stream& from, net::Stream& to) {
        std::array<char, 16 * 1024> buf;
        try {
            for (;;) {
                const auto n = co_await from.read_some(net::asio::buffer(buf));
                co_await to.write(net::asio::buffer(buf.data(), n));
            }
        } catch (const boost::system::system_error&) {
        }
        from.close();
        to.close();
    }

    // The URL the device used for this request, without the query.
    std::string own_url(const http::MessageHead& request) const {
        const std::string host = request.value_or("Host", "localhost");
        const auto q = request.target.find('?');
        std::string path = request.target.substr(0, q);
        if (path.empty() || path.front() != '/') path = "/Microsoft-Server-ActiveSync";
        return std::string(device_.is_tls() ? "https://" : "http://") + host + path;
    }

    static void set_host(http::MessageHead& head, const Origin& target) {
        drop_header(head, "Host");
        head.headers.insert(head.headers.begin(), {"Host", target.authority()});
    }

    static void drop_header(http::MessageHead& head, std::string_view name) {
        std::erase_if(head.headers,
                      [&](const http::Header& h) { return http::iequals(h.name, name); });
    }

    // The request's query on the X-MS-Location path ("/Microsoft-Server-ActiveSync?Cmd=...").
    static std::string redirect_target(const std::string& original, const std::string& path) {
        const auto q = original.find('?');
        const std::string base = path.empty() ? original.substr(0, q) : path;
        return q == std::string::npos ? base : base + original.substr(q);
    }

    // Reads up to the final response head into flow.response; an error as (status, words).
    net::awaitable<std::optional<std::pair<int, std::string>>> read_response_head(
        UpstreamConnection& up, net::Watchdog& wd, Flow& flow) {
        auto& r = up.reader;
        r.parser().expect_no_body(flow.request.method == "HEAD");
        wd.expires_after(ctx_.settings.response_timeout);
        ReadFailure failure;
        for (;;) {
            auto ev = co_await r.next(failure, wd.fired_flag());
            if (!ev) {
                const bool timeout = failure.kind == ReadFailure::Kind::Timeout;
                co_return std::make_pair(
                    timeout ? 504 : 502,
                    timeout
                        ? "no answer from the upstream within " +
                              std::to_string(ctx_.settings.response_timeout.count()) + " s"
                        : "the upstream " + (failure.kind == ReadFailure::Kind::Parse
                                                 ? "sent a malformed response: " + failure.reason
                                                 : "closed the connection before answering (" +
                                                       failure.reason + ")"));
            }
            if (ev->kind != http::EventKind::Head) continue;
            const auto& h = r.head();
            if (h.status >= 100 && h.status < 200 && h.status != 101) continue;
            break;
        }
        flow.response = r.head();
        flow.response_body.announce(flow.response->content_length, ctx_.settings.decode_limit);
        flow.first_response_byte = Steady::now() - flow.started;
        co_return std::nullopt;
    }

    // Reads the rest of a response that is not relayed (a 451 being followed).
    net::awaitable<bool> drain_response(UpstreamConnection& up, net::Watchdog& wd) {
        ReadFailure failure;
        for (;;) {
            wd.expires_after(ctx_.settings.response_timeout);
            auto ev = co_await up.reader.next(failure, wd.fired_flag());
            if (!ev) co_return false;
            if (ev->kind == http::EventKind::End) co_return true;
        }
    }

    // Reads and discards the rest of the request body so the connection can carry on.
    net::awaitable<bool> drain_request(Flow& flow) {
        // Its End may already be parsed and queued: read events up to it, not the parser state.
        if (request_done_) co_return true;
        ReadFailure failure;
        for (;;) {
            watchdog_.expires_after(ctx_.settings.request_timeout);
            auto ev = co_await reader_->next(failure, watchdog_.fired_flag());
            if (!ev) co_return false;
            if (ev->kind == http::EventKind::Body)
                flow.request_body.append(ev->body, ctx_.settings.decode_limit);
            if (ev->kind == http::EventKind::End) {
                request_done_ = true;
                co_return true;
            }
        }
    }

    // Ends a flow in error: answers `status` when non-zero (and the device can still take it),
    // reports the flow, and says whether the connection goes on.
    net::awaitable<bool> fail(Flow& flow, int status, std::string stage, std::string reason,
                              bool close) {
        flow.error_stage = std::move(stage);
        flow.error = std::move(reason);
        flow.synthesized_status = status;
        if (status) co_await reply(status, "easproxy: " + flow.error + "\n", close);
        flow.finished = Steady::now() - flow.started;
        ctx_.events.error(flow);
        if (close || !status) {
            device_.close();
            co_return false;
        }
        co_return true;
    }

    net::awaitable<void> reply(int status, const std::string& text, bool close) {
        http::MessageHead h;
        h.is_request = false;
        h.status = status;
        h.reason = reason_phrase(status);
        h.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                     {"Content-Length", std::to_string(text.size())},
                     {"X-EasProxy-Error", "1"}};
        // A device told to wait (no upstream connection free) comes back later, not at once.
        if (status == 503) h.headers.push_back({"Retry-After", "30"});
        if (close) h.headers.push_back({"Connection", "close"});
        const std::string head = http::serialize_head(h);
        watchdog_.expires_after(ctx_.settings.send_timeout);
        co_await try_write(device_, net::asio::buffer(head + text));
    }

    static net::awaitable<bool> try_write(net::Stream& s, net::asio::const_buffer b) {
        try {
            co_await s.write(b);
            co_return true;
        } catch (const boost::system::system_error&) {
            co_return false;
        }
    }
    static net::awaitable<bool> try_write_body(net::Stream& s, Framing f, std::string_view data) {
        try {
            co_await write_body(s, f, data);
            co_return true;
        } catch (const boost::system::system_error&) {
            co_return false;
        }
    }
    static net::awaitable<bool> try_end_body(net::Stream& s, Framing f) {
        try {
            co_await end_body(s, f);
            co_return true;
        } catch (const boost::system::system_error&) {
            co_return false;
        }
    }
};

}  // namespace

net::awaitable<void> run_session(net::tcp::socket socket, net::ssl::context* device_tls,
                                 SessionContext ctx) {
    Session session(std::move(socket), device_tls, std::move(ctx));
    co_await session.run();
}

}  // namespace eas::proxy
