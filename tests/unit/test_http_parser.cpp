#include <catch2/catch.hpp>

#include "http_parser.hpp"

using namespace eas::http;

namespace {
struct Collected {
    std::vector<MessageHead> heads;
    std::vector<std::string> bodies;
    int ends = 0;
};

// Feeds `data` in pieces of `step` bytes, collecting every message.
Collected feed_all(Parser& p, std::string_view data, std::size_t step,
                   std::optional<ParseError>* error = nullptr) {
    Collected c;
    std::vector<Event> events;
    std::size_t pos = 0;
    while (pos < data.size()) {
        auto piece = data.substr(pos, std::min(step, data.size() - pos));
        // Within a piece, keep feeding after each completed message (pipelining).
        while (!piece.empty()) {
            events.clear();
            auto r = p.feed(piece, events);
            for (const auto& e : events) {
                if (e.kind == EventKind::Head) {
                    c.heads.push_back(p.head());
                    c.bodies.emplace_back();
                }
                if (e.kind == EventKind::Body) c.bodies.back() += e.body;
                if (e.kind == EventKind::End) ++c.ends;
            }
            if (r.error) {
                if (error) *error = r.error;
                return c;
            }
            piece.remove_prefix(r.consumed);
            pos += r.consumed;
            if (r.consumed == 0 && !r.message_complete) break;
        }
    }
    return c;
}
}  // namespace

TEST_CASE("an EAS request with Content-Length, fed byte by byte and whole") {
    const std::string req =
        "POST /Microsoft-Server-ActiveSync?Cmd=Sync&User=alex&DeviceId=A1&DeviceType=iPhone "
        "HTTP/1.1\r\n"
        "Host: mail.contoso.com\r\nMS-ASProtocolVersion: 14.1\r\n"
        "Content-Type: application/vnd.ms-sync.wbxml\r\nContent-Length: 5\r\n\r\nabcde";
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, req.size()}) {
        Parser p(Parser::Type::Request);
        const auto c = feed_all(p, req, step);
        REQUIRE(c.heads.size() == 1);
        CHECK(c.heads[0].method == "POST");
        CHECK(c.heads[0].target.find("Cmd=Sync") != std::string::npos);
        CHECK(c.heads[0].value_or("ms-asprotocolversion") == "14.1");
        CHECK(c.heads[0].content_length == 5u);
        CHECK(c.bodies[0] == "abcde");
        CHECK(c.ends == 1);
    }
}

TEST_CASE("chunked bodies are de-chunked; pipelined requests come one at a time") {
    const std::string two =
        "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
        "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        "OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: x\r\n\r\n";
    Parser p(Parser::Type::Request);
    std::vector<Event> events;
    auto r = p.feed(two, events);
    CHECK(r.message_complete);
    CHECK(r.consumed < two.size());  // stops after the first message
    CHECK(p.head().chunked);
    std::string body;
    for (auto& e : events)
        if (e.kind == EventKind::Body) body += e.body;
    CHECK(body == "abcde");
    events.clear();
    r = p.feed(std::string_view(two).substr(r.consumed), events);
    CHECK(r.message_complete);
    CHECK(p.head().method == "OPTIONS");
}

TEST_CASE("responses: HEAD has no body, close-delimited bodies end at EOF, cut bodies are errors") {
    {
        Parser p(Parser::Type::Response);
        p.expect_no_body();
        const auto c = feed_all(p, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 1000);
        CHECK(c.ends == 1);
        CHECK(c.bodies[0].empty());
    }
    {
        Parser p(Parser::Type::Response);
        auto c = feed_all(p, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello", 1000);
        CHECK(c.ends == 0);
        std::vector<Event> events;
        auto r = p.finish(events);
        CHECK_FALSE(r.error);
        CHECK(r.message_complete);
        CHECK(c.bodies[0] == "hello");
    }
    {
        Parser p(Parser::Type::Response);
        feed_all(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel", 1000);
        std::vector<Event> events;
        auto r = p.finish(events);
        REQUIRE(r.error);
        CHECK(r.error->reason == "connection closed after 3 of 10 body bytes");
    }
}

TEST_CASE("451 with X-MS-Location and a 100 Continue before a final response") {
    Parser p(Parser::Type::Response);
    const auto c = feed_all(
        p,
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 451 \r\nX-MS-Location: https://mail2.contoso.com/Microsoft-Server-ActiveSync\r\n"
        "Content-Length: 0\r\n\r\n",
        1000);
    REQUIRE(c.heads.size() == 2);
    CHECK(c.heads[0].status == 100);
    CHECK(c.heads[1].status == 451);
    CHECK(c.heads[1].value_or("x-ms-location") ==
          "https://mail2.contoso.com/Microsoft-Server-ActiveSync");
}

TEST_CASE("malformed input and limits give the status a server should answer") {
    std::optional<ParseError> e;
    {
        Parser p(Parser::Type::Request);
        feed_all(p, "GARBAGE\x01\x02 / HTTP/1.1\r\n\r\n", 1000, &e);
        REQUIRE(e);
        CHECK(e->http_status == 400);
        CHECK_FALSE(e->reason.empty());
    }
    {
        ParserLimits limits;
        limits.max_head_bytes = 100;
        Parser p(Parser::Type::Request, limits);
        e.reset();
        feed_all(p, "GET / HTTP/1.1\r\nX-Big: " + std::string(200, 'a') + "\r\n\r\n", 1000, &e);
        REQUIRE(e);
        CHECK(e->http_status == 431);
        CHECK_THAT(e->reason, Catch::Contains("exceed 100 bytes"));
    }
    {
        // A TLS ClientHello sent to a plain-HTTP port.
        Parser p(Parser::Type::Request);
        e.reset();
        feed_all(p, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 1000, &e);
        REQUIRE(e);
        CHECK(e->offset == 0);
    }
}

TEST_CASE("CONNECT hands over the connection after the head") {
    Parser p(Parser::Type::Request);
    std::vector<Event> events;
    const std::string data =
        "CONNECT mail.contoso.com:443 HTTP/1.1\r\nHost: mail.contoso.com:443\r\n\r\n\x16\x03\x01";
    auto r = p.feed(data, events);
    CHECK(r.message_complete);
    CHECK(p.head().upgrade);
    CHECK(p.head().target == "mail.contoso.com:443");
    CHECK(data.substr(r.consumed) == "\x16\x03\x01");
}

TEST_CASE("serialising a head and hop-by-hop headers") {
    MessageHead h;
    h.is_request = false;
    h.status = 451;
    h.reason = "";
    h.headers = {{"X-MS-Location", "https://b/Microsoft-Server-ActiveSync"},
                 {"Connection", "close, X-Foo"}};
    CHECK(serialize_head(h) ==
          "HTTP/1.1 451 \r\nX-MS-Location: https://b/Microsoft-Server-ActiveSync\r\nConnection: "
          "close, X-Foo\r\n\r\n");
    CHECK(is_hop_by_hop(h, "transfer-encoding"));
    CHECK(is_hop_by_hop(h, "x-foo"));
    CHECK_FALSE(is_hop_by_hop(h, "X-MS-Location"));
}
