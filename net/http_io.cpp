#include "http_io.hpp"

#include <array>

namespace eas::net {

awaitable<ReadResult> read_message(Stream& stream, http::Parser& parser, std::string& buffer,
                                   Message& out, std::size_t max_body) {
    ReadResult r;
    out = Message{};
    std::vector<http::Event> events;
    std::array<char, 16384> chunk;
    bool done = false;
    while (!done) {
        if (buffer.empty()) {
            boost::system::error_code ec;
            std::size_t n = 0;
            try {
                n = co_await stream.read_some(asio::buffer(chunk));
            } catch (const boost::system::system_error& e) {
                ec = e.code();
            }
            if (ec) {
                if (!parser.in_message() && out.head.method.empty() && out.head.status == 0 &&
                    (ec == asio::error::eof || ec == ssl::error::stream_truncated)) {
                    r.closed = true;
                    co_return r;
                }
                if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
                    events.clear();
                    const auto f = parser.finish(events);
                    for (const auto& e : events) {
                        if (e.kind == http::EventKind::Body) out.body.append(e.body);
                    }
                    if (f.message_complete && !f.error) {
                        out.head = parser.head();
                        r.ok = true;
                        co_return r;
                    }
                    r.error = f.error ? f.error->reason : "connection closed";
                    co_return r;
                }
                r.error = ec.message();
                co_return r;
            }
            buffer.assign(chunk.data(), n);
        }
        events.clear();
        const auto f = parser.feed(buffer, events);
        for (const auto& e : events) {
            if (e.kind == http::EventKind::Body) {
                if (out.body.size() + e.body.size() > max_body) {
                    r.error = "body larger than " + std::to_string(max_body) + " bytes";
                    r.http_status = 413;
                    co_return r;
                }
                out.body.append(e.body);
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
            // 1xx interim responses are not the answer; skip them.
            if (!out.head.is_request && out.head.status >= 100 && out.head.status < 200 &&
                out.head.status != 101) {
                out = Message{};
                continue;
            }
            done = true;
        }
    }
    r.ok = true;
    co_return r;
}

awaitable<void> write_message(Stream& stream, Message& m) {
    if (!m.head.chunked && !m.head.find("Content-Length")) {
        const bool bodiless = !m.head.is_request && (m.head.status == 204 || m.head.status == 304 ||
                                                     (m.head.status >= 100 && m.head.status < 200));
        if (!bodiless && (!m.body.empty() || !m.head.is_request || m.head.method == "POST")) {
            m.head.headers.push_back({"Content-Length", std::to_string(m.body.size())});
        }
    }
    const std::string head = http::serialize_head(m.head);
    std::vector<asio::const_buffer> buffers{asio::buffer(head)};
    if (!m.body.empty()) buffers.push_back(asio::buffer(m.body));
    co_await stream.write(buffers);
}

}  // namespace eas::net
