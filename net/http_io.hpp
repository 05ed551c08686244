// Coroutines that move whole HTTP messages over a Stream, for the tools (simulated CAS, device
// simulator, probes): bodies are buffered up to a bound. The proxy streams instead.
#pragma once

#include <string>

#include "asio.hpp"
#include "http_parser.hpp"
#include "stream.hpp"

namespace eas::net {

struct Message {
    http::MessageHead head;
    std::string body;
};

struct ReadResult {
    bool ok = false;
    bool closed = false;  // the peer closed cleanly between messages
    std::string error;
    int http_status = 0;  // for parse errors: the status a server should answer
};

// Reads the next message. `buffer` carries bytes read past the end of one message over to the
// next (pipelining); keep it with the connection.
awaitable<ReadResult> read_message(Stream& stream, http::Parser& parser, std::string& buffer,
                                   Message& out, std::size_t max_body = 64 * 1024 * 1024);

// Writes head and body; sets Content-Length from the body unless the head is chunked or
// already says it.
awaitable<void> write_message(Stream& stream, Message& message);

}  // namespace eas::net
