#include "web_server.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "bindings.hpp"
#include "ca_page.hpp"
#include "html.hpp"
#include "listen_address.hpp"
#include "live_flows.hpp"
#include "metrics.hpp"
#include "redirect_counters.hpp"
#include "trace_writer.hpp"
#include "web_assets.hpp"
#include "web_auth.hpp"

namespace eas::proxy {
namespace {

constexpr auto kIoTimeout = std::chrono::seconds(30);
// Server-Sent Events: a comment this often keeps proxies and browsers from timing out, and
// shows a page that went away.
constexpr auto kKeepalive = std::chrono::seconds(15);
constexpr std::size_t kEventsPerWrite = 200;

const char* reason_for(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 204:
            return "No Content";
        case 302:
            return "Found";
        case 303:
            return "See Other";
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
        case 421:
            return "Misdirected Request";
        default:
            return "Error";
    }
}

net::Message response_of(int status, const std::string& content_type, std::string body) {
    net::Message m;
    m.head.is_request = false;
    m.head.status = status;
    m.head.reason = reason_for(status);
    m.head.headers = {{"Content-Type", content_type},
                      {"Cache-Control", "no-store"},
                      {"X-Content-Type-Options", "nosniff"}};
    m.body = std::move(body);
    return m;
}

net::Message text_response(int status, const std::string& text) {
    return response_of(status, "text/plain; charset=utf-8", text);
}

net::Message json_response(int status, const std::string& json) {
    return response_of(status, "application/json", json);
}

// The page asking for the token: a form that comes back as /?token=...
net::Message token_page(const std::string& why) {
    return response_of(401, "text/html; charset=utf-8",
                       "<!doctype html><html><head><meta charset=\"utf-8\"><title>easproxy: access "
                       "token</title></head><body style=\"font-family:sans-serif;margin:2em\">"
                       "<h1>easproxy</h1><p>" +
                           html_escape(why) +
                           "</p><form method=\"get\" action=\"/\"><label>Access token "
                           "<input type=\"password\" name=\"token\" autofocus></label> "
                           "<button>Open</button></form><p><a href=\"/ca/\">CA certificate "
                           "(public)</a></p></body></html>");
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
    for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
        s.replace(pos, what.size(), with);
}

template <class Int>
std::optional<Int> parse_number(std::string_view s) {
    Int v{};
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

WebServer::WebServer(net::asio::io_context& io, WebContent content,
                     std::shared_ptr<spdlog::logger> log)
    : acceptor_(io),
      content_(std::move(content)),
      log_(std::move(log)),
      csrf_(web::random_token()) {}

std::unique_ptr<WebServer> WebServer::start(net::asio::io_context& io, const std::string& listen,
                                            WebContent content, std::shared_ptr<spdlog::logger> log,
                                            std::string& error) {
    // "--web 8081" and "--web :8081" mean loopback: the page shows decoded traffic.
    std::string where = listen;
    if (where.find(':') == std::string::npos) where = "127.0.0.1:" + where;
    if (where.front() == ':') where = "127.0.0.1" + where;
    const auto endpoint = parse_listen(where, error);
    if (!endpoint) {
        error = "--web: " + error;
        return nullptr;
    }
    if (!endpoint->address().is_loopback() && content.token.empty()) {
        error = "--web " + listen +
                ": the web listener shows decoded traffic; off loopback it needs --web-token";
        return nullptr;
    }
    std::unique_ptr<WebServer> server(new WebServer(io, std::move(content), std::move(log)));
    try {
        server->acceptor_.open(endpoint->protocol());
        server->acceptor_.set_option(net::tcp::acceptor::reuse_address(true));
        server->acceptor_.bind(*endpoint);
        server->acceptor_.listen();
    } catch (const boost::system::system_error& e) {
        error = "--web " + listen + ": " + e.code().message();
        return nullptr;
    }
    const auto bound = server->acceptor_.local_endpoint();
    const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                     : bound.address().to_string();
    server->url_ = "http://" + host + ":" + std::to_string(bound.port()) + "/";
    net::asio::co_spawn(io, server->accept_loop(), net::asio::detached);
    return server;
}

void WebServer::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

net::awaitable<void> WebServer::accept_loop() {
    for (;;) {
        net::tcp::socket socket(acceptor_.get_executor());
        try {
            co_await acceptor_.async_accept(socket, net::use_awaitable);
        } catch (const boost::system::system_error& e) {
            if (!acceptor_.is_open()) co_return;
            log_->warn("web: accept failed: {}", e.code().message());
            continue;
        }
        net::asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)),
                            net::asio::detached);
    }
}

net::awaitable<void> WebServer::serve(net::tcp::socket socket) {
    net::Stream stream(std::move(socket));
    const std::string peer = stream.remote();
    net::Watchdog watchdog(stream, co_await net::asio::this_coro::executor);
    http::Parser parser(http::Parser::Type::Request);
    std::string buffer;
    for (;;) {
        watchdog.expires_after(kIoTimeout);
        net::Message request;
        const auto rr = co_await net::read_message(stream, parser, buffer, request, 64 * 1024);
        if (!rr.ok) {
            if (!rr.closed && rr.http_status) {
                auto bad = text_response(rr.http_status, rr.error + "\n");
                bad.head.headers.push_back({"Connection", "close"});
                try {
                    co_await net::write_message(stream, bad);
                } catch (const boost::system::system_error&) {
                }
            }
            break;
        }
        net::Message response;
        bool taken = false;
        try {
            taken = co_await respond(stream, watchdog, request, response);
        } catch (const boost::system::system_error&) {
            break;  // the page went away during Server-Sent Events
        }
        if (taken) {
            log_->debug("web: {} {} {}: event stream ended", peer, request.head.method,
                        web::path_of(request.head.target));
            break;
        }
        if (request.head.method == "HEAD") {
            response.head.headers.push_back(
                {"Content-Length", std::to_string(response.body.size())});
            response.body.clear();
        }
        // The token may be in the target: log the path only.
        log_->debug("web: {} {} {} -> {}", peer, request.head.method,
                    web::path_of(request.head.target), response.head.status);
        try {
            co_await net::write_message(stream, response);
        } catch (const boost::system::system_error&) {
            break;
        }
        if (!request.head.keep_alive) break;
    }
    co_await stream.shutdown();
}

net::awaitable<bool> WebServer::respond(net::Stream& stream, net::Watchdog& watchdog,
                                        const net::Message& request, net::Message& response) {
    const auto& head = request.head;
    const std::string path(web::path_of(head.target));
    const bool get = head.method == "GET" || head.method == "HEAD";

    // The CA install page: public, for phones.
    if (web::is_public_path(path)) {
        if (!get) {
            response = text_response(405, "easproxy: GET only\n");
            co_return false;
        }
        const auto sub = path == "/ca" ? std::string("/") : path.substr(3);
        if (content_.ca_pem.empty()) {
            response = text_response(404,
                                     "easproxy: no CA to offer (reverse mode without a CA in "
                                     "--ca-dir: easproxy ca init, then easproxy ca leaf)\n");
        } else if (auto page = ca_page(sub, content_.ca_pem, "/ca/")) {
            response = response_of(page->status, page->content_type, std::move(page->body));
            if (!page->filename.empty()) {
                response.head.headers.push_back(
                    {"Content-Disposition", "attachment; filename=\"" + page->filename + "\""});
            }
        } else {
            response = text_response(404, "easproxy: no such page\n");
        }
        co_return false;
    }

    if (!web::host_allowed(head, !content_.token.empty())) {
        response = text_response(
            421, "easproxy: the web listener answers to loopback names only (Host " +
                     head.value_or("Host") + "); set --web-token to use other names\n");
        co_return false;
    }
    const auto access = web::check_access(head, content_.token);
    if (!access.allowed) {
        response = token_page(access.why);
        co_return false;
    }
    std::string set_cookie;
    if (access.by_query) {
        set_cookie = web::token_cookie(content_.token);
        if (get && path == "/") {
            // Keep the token out of the address bar and the history: the cookie carries it.
            response = text_response(303, "");
            response.head.headers.push_back({"Location", web::without_param(head.target, "token")});
            response.head.headers.push_back({"Set-Cookie", set_cookie});
            co_return false;
        }
    }

    if (!content_.live) {
        // Only the CA page on this listener.
        response = text_response(get && path == "/" ? 302 : 404, "");
        if (get && path == "/") response.head.headers.push_back({"Location", "/ca/"});
        co_return false;
    }

    if (path == "/api/events" && head.method == "GET") {
        co_await events(stream, watchdog, request, set_cookie);
        co_return true;
    }
    if (path == "/" && get) {
        const auto* page = find_web_asset("/index.html");
        std::string html(page ? page->body : std::string_view("easproxy: page missing"));
        replace_all(html, "{{CSRF}}", csrf_);
        replace_all(html, "{{MAX_FLOWS}}", std::to_string(content_.live->options().max_flows));
        response = response_of(200, "text/html; charset=utf-8", std::move(html));
        response.head.headers.push_back(
            {"Content-Security-Policy",
             "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"});
        response.head.headers.push_back({"X-Frame-Options", "DENY"});
        response.head.headers.push_back({"Referrer-Policy", "no-referrer"});
    } else if (path.rfind("/assets/", 0) == 0 && get) {
        const auto* asset = find_web_asset(path.substr(7));
        if (asset && asset->path != "/index.html") {
            response = response_of(200, std::string(asset->content_type), std::string(asset->body));
        } else {
            response = text_response(404, "easproxy: no such file\n");
        }
    } else if (path == "/metrics" && get) {
        response = response_of(200, "text/plain; version=0.0.4; charset=utf-8", metrics_text());
    } else if (path == "/favicon.ico" && get) {
        response = response_of(204, "text/plain", "");
    } else if (path.rfind("/api/", 0) == 0) {
        response = api(request, path);
    } else {
        response = text_response(404, "easproxy: no such page\n");
    }
    if (!set_cookie.empty()) response.head.headers.push_back({"Set-Cookie", set_cookie});
    co_return false;
}

net::Message WebServer::api(const net::Message& request, std::string_view path) {
    const auto& head = request.head;
    const bool get = head.method == "GET" || head.method == "HEAD";
    auto& live = *content_.live;
    if (path.rfind("/api/flows/", 0) == 0 && get) {
        const auto id = parse_number<std::uint64_t>(path.substr(11));
        if (!id) return json_response(400, R"({"error":"flow ids are numbers"})");
        auto detail = live.detail(*id);
        if (!detail)
            return json_response(404,
                                 R"({"error":"no such flow in the live view (it keeps the last )" +
                                     std::to_string(live.options().max_flows) + ")\"}");
        return json_response(200, *detail);
    }
    if (path == "/api/devices" && get) {
        const auto bindings =
            content_.bindings ? content_.bindings->list() : std::vector<Bindings::Entry>{};
        return json_response(200, devices_json(live.devices(), bindings).dump());
    }
    if (path == "/api/bindings" && get) {
        const auto bindings =
            content_.bindings ? content_.bindings->list() : std::vector<Bindings::Entry>{};
        return json_response(200, bindings_json(bindings).dump());
    }
    if (path == "/api/bindings/clear") {
        if (head.method != "POST") return json_response(405, R"({"error":"POST only"})");
        if (const auto why = web::check_csrf(head, csrf_); !why.empty()) {
            log_->warn("web: binding clear refused: {}", why);
            return json_response(403, nlohmann::json{{"error", why}}.dump());
        }
        const auto body = nlohmann::json::parse(request.body, nullptr, false);
        if (body.is_discarded() || !body.is_object() || !body.contains("key") ||
            !body["key"].is_string() || body["key"].get<std::string>().empty()) {
            return json_response(400, R"({"error":"expected {\"key\": \"user/DeviceId\"}"})");
        }
        if (!content_.bindings) return json_response(404, R"({"error":"no bindings here"})");
        const auto key = body["key"].get<std::string>();
        const auto n = content_.bindings->clear(key);
        log_->warn("web: redirect binding {} {} from the live view", key,
                   n ? "cleared" : "was not there to clear");
        return json_response(n ? 200 : 404, nlohmann::json{{"cleared", n}, {"key", key}}.dump());
    }
    return json_response(get ? 404 : 405, R"({"error":"no such API"})");
}

std::string WebServer::metrics_text() const {
    MetricsGauges g;
    const auto& live = *content_.live;
    if (open_connections_) g.open_connections = open_connections_->load();
    const auto in_flight = live.in_flight();
    g.in_flight = in_flight.count;
    g.held = in_flight.held;
    g.held_after = live.options().held_after;
    if (content_.bindings) g.bindings = content_.bindings->list().size();
    g.web_clients = live.subscribers();
    g.flows_kept = live.kept();
    g.flows_dropped = live.dropped();
    if (content_.trace) {
        g.trace_written = content_.trace->written();
        g.trace_write_errors = content_.trace->write_errors();
    }
    return render_metrics(
        live.metrics(),
        content_.counters ? content_.counters->snapshot() : std::map<std::string, RedirectCounts>{},
        g);
}

// Server-Sent Events: first the flows the ring holds after the page's last one (Last-Event-ID
// on a reconnect), then each new flow as it completes. The proxy never waits for a page: new
// flows only post a wake-up; a page too slow to keep up skips what the ring dropped.
net::awaitable<void> WebServer::events(net::Stream& stream, net::Watchdog& watchdog,
                                       const net::Message& request, std::string set_cookie) {
    auto live = content_.live;
    std::uint64_t after = 0;
    if (const auto* last = request.head.find("Last-Event-ID")) {
        after = parse_number<std::uint64_t>(*last).value_or(0);
    } else if (const auto since = web::query_param(request.head.target, "since")) {
        after = parse_number<std::uint64_t>(*since).value_or(0);
    }

    auto executor = co_await net::asio::this_coro::executor;
    struct Waiter {
        explicit Waiter(net::asio::any_io_executor ex) : timer(ex) {}
        net::asio::steady_timer timer;
        std::atomic<bool> pending{false};
    };
    auto waiter = std::make_shared<Waiter>(executor);
    std::weak_ptr<Waiter> weak = waiter;
    const auto id = live->subscribe([weak, executor] {
        auto w = weak.lock();
        if (!w || w->pending.exchange(true)) return;
        net::asio::post(executor, [w] { w->timer.cancel(); });
    });
    struct Unsubscribe {
        std::shared_ptr<LiveFlows> live;
        std::uint64_t id;
        ~Unsubscribe() { live->unsubscribe(id); }
    } unsubscribe{live, id};

    std::string out =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\nConnection: close\r\n";
    if (!set_cookie.empty()) out += "Set-Cookie: " + set_cookie + "\r\n";
    out += "\r\nretry: 2000\n\n";
    for (;;) {
        waiter->pending = false;
        const auto batch = live->since(after, kEventsPerWrite);
        if (batch.gap) out += "event: gap\ndata: {}\n\n";
        for (const auto& [seq, row] : batch.rows)
            out += "id: " + std::to_string(seq) + "\nevent: flow\ndata: " + row + "\n\n";
        if (!batch.rows.empty()) after = batch.rows.back().first;
        if (!out.empty()) {
            watchdog.expires_after(kIoTimeout);
            co_await stream.write(net::asio::buffer(out));
            out.clear();
            if (batch.rows.size() == kEventsPerWrite) continue;  // there may be more
        }
        if (waiter->pending) continue;
        watchdog.expires_after(kKeepalive + kIoTimeout);
        waiter->timer.expires_after(kKeepalive);
        boost::system::error_code ec;
        co_await waiter->timer.async_wait(net::asio::redirect_error(net::use_awaitable, ec));
        if (!ec) out = ": keep-alive\n\n";
        if (!acceptor_.is_open()) co_return;  // shutting down
    }
}

}  // namespace eas::proxy
