// Sans-IO HTTP/1.1 message parser on llhttp: bytes in, message events out. Used for both
// directions by the proxy, the simulated CAS and the device simulator.
//
// Bodies stream: each feed() yields body chunks as views into the bytes just fed, valid until
// the caller reuses that buffer. The parser pauses after every complete message, so pipelined
// messages are handed over one at a time and the caller decides when to read the next.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ascii.hpp"

namespace eas::http {

struct Header {
    std::string name;
    std::string value;
};

struct MessageHead {
    bool is_request = true;
    std::string method;  // requests
    std::string target;  // requests: as sent (origin-form, absolute-form or authority-form)
    int status = 0;      // responses
    std::string reason;  // responses
    int version_major = 1;
    int version_minor = 1;
    std::vector<Header> headers;
    bool keep_alive = true;  // what the message says about the connection after it
    bool chunked = false;
    std::optional<std::uint64_t> content_length;
    bool upgrade = false;  // CONNECT, or an Upgrade the parser accepted

    // First header with this name (case-insensitive), or nullptr.
    const std::string* find(std::string_view name) const;
    std::string value_or(std::string_view name, std::string_view fallback = {}) const;
};

struct ParseError {
    std::uint64_t offset = 0;  // bytes into the stream (all feeds of this parser)
    std::string reason;        // llhttp's reason, in words, or a limit that was exceeded
    int http_status = 400;     // what a server should answer: 400, 413, 431
};

struct ParserLimits {
    std::size_t max_head_bytes = 64 * 1024;  // request/status line and headers
    std::size_t max_headers = 256;
};

enum class EventKind { Head, Body, End };

struct Event {
    EventKind kind;
    std::string_view body;  // Body: a chunk of the message body (de-chunked)
};

class Parser {
  public:
    enum class Type { Request, Response };
    explicit Parser(Type type, ParserLimits limits = {});
    ~Parser();
    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;

    struct FeedResult {
        std::size_t consumed = 0;  // bytes of this feed used; the rest belong to the next message
        bool message_complete = false;
        std::optional<ParseError> error;
    };

    // Parses as much of `data` as belongs to the current message. Events are appended to
    // `events`; after a Head event, head() holds the message head.
    FeedResult feed(std::string_view data, std::vector<Event>& events);

    // The peer closed the connection: ends a body delimited by close, or reports a message cut
    // short ("connection closed after 1234 of 5000 body bytes").
    FeedResult finish(std::vector<Event>& events);

    // Responses only: the request was HEAD (no body follows whatever the headers say), or a
    // CONNECT answered 2xx (the connection becomes a tunnel).
    void expect_no_body(bool yes = true);

    const MessageHead& head() const { return head_; }
    MessageHead& head() { return head_; }
    std::uint64_t body_bytes() const { return body_bytes_; }  // of the current message
    bool in_message() const { return in_message_; }           // a message has started, not ended
    std::uint64_t offset() const { return offset_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    MessageHead head_;
    std::uint64_t body_bytes_ = 0;
    std::uint64_t offset_ = 0;
    bool in_message_ = false;
    friend struct Callbacks;
};

// Serialises a head ("POST /x HTTP/1.1\r\nHost: a\r\n\r\n"), headers in order as given.
std::string serialize_head(const MessageHead& head);

// Hop-by-hop headers a proxy must not forward (RFC 9110 7.6.1), plus those named in Connection.
bool is_hop_by_hop(const MessageHead& head, std::string_view name);

using eas::iequals;  // ASCII case-insensitive comparison, from common/ascii.hpp

}  // namespace eas::http
