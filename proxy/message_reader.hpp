// Pulls HTTP message events from a Stream one at a time, reading more only when the events of
// the last read are used up, so body chunks (views into the read buffer) stay valid until the
// caller asks for the next event. Pipelined messages wait in the buffer until their turn.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http_parser.hpp"
#include "stream.hpp"

namespace eas::proxy {

struct ReadFailure {
    enum class Kind { None, ClosedBetweenMessages, Closed, Timeout, Parse, Io } kind = Kind::None;
    std::string reason;
    int http_status = 0;  // Parse: what to answer (400, 431)
};

class MessageReader {
  public:
    MessageReader(net::Stream& stream, http::Parser::Type type, http::ParserLimits limits = {})
        : stream_(stream), parser_(type, limits) {}

    // The next event, or nullopt with `failure` set. `timed_out` tells a watchdog closure from a
    // peer closing the connection. `started`, when set, is called once if the first bytes read
    // do not complete a message head: the wait for a request turns into reading one, under
    // another deadline.
    net::awaitable<std::optional<http::Event>> next(ReadFailure& failure,
                                                    const bool* timed_out = nullptr,
                                                    std::function<void()> started = {});

    http::Parser& parser() { return parser_; }
    const http::MessageHead& head() const { return parser_.head(); }
    // Bytes read but not yet parsed: the start of a pipelined message, or tunnel data after a
    // CONNECT.
    std::string_view pending() const { return pending_; }

  private:
    net::Stream& stream_;
    http::Parser parser_;
    // Held only while a message is being read: an idle keep-alive connection, or one whose
    // Ping is parked at the CAS, keeps no buffer (16 KB per side, 10 000 Pings).
    static constexpr std::size_t buffer_size_ = 16 * 1024;
    std::unique_ptr<char[]> buffer_;
    std::string_view pending_;
    // Events of the last feed, handed out in order (a vector: a deque took 576 bytes per
    // connection before its first event).
    std::vector<http::Event> events_;
    std::size_t next_event_ = 0;
    std::optional<ReadFailure> deferred_;  // a cut message: reported after its parsed events
};

}  // namespace eas::proxy
