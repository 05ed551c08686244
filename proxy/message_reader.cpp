#include "message_reader.hpp"

#include <utility>

namespace eas::proxy {

net::awaitable<std::optional<http::Event>> MessageReader::next(ReadFailure& failure,
                                                               const bool* timed_out,
                                                               std::function<void()> started) {
    while (next_event_ == events_.size()) {
        // Every event handed out: the parser appends the next ones to the same storage.
        events_.clear();
        next_event_ = 0;
        if (deferred_) {
            failure = *deferred_;
            deferred_.reset();
            co_return std::nullopt;
        }
        if (pending_.empty()) {
            std::size_t n = 0;
            boost::system::error_code ec;
            try {
                if (!parser_.in_message()) {
                    // Between messages the wait may be long: take the buffer once bytes come.
                    buffer_.reset();
                    co_await stream_.wait_readable();
                }
                if (!buffer_) buffer_ = std::make_unique_for_overwrite<char[]>(buffer_size_);
                n = co_await stream_.read_some(net::asio::buffer(buffer_.get(), buffer_size_));
            } catch (const boost::system::system_error& e) {
                ec = e.code();
            }
            if (ec) {
                if (timed_out && *timed_out) {
                    failure = {ReadFailure::Kind::Timeout, "timed out", 0};
                    co_return std::nullopt;
                }
                const bool eof = ec == net::asio::error::eof ||
                                 ec == net::ssl::error::stream_truncated ||
                                 ec == net::asio::error::connection_reset;
                if (!eof) {
                    failure = {ReadFailure::Kind::Io, ec.message(), 0};
                    co_return std::nullopt;
                }
                if (!parser_.in_message()) {
                    failure = {ReadFailure::Kind::ClosedBetweenMessages, "connection closed", 0};
                    co_return std::nullopt;
                }
                // EOF inside a message ends a close-delimited body, or cuts the message short.
                const auto r = parser_.finish(events_);
                if (r.error) deferred_ = ReadFailure{ReadFailure::Kind::Closed, r.error->reason, 0};
                continue;
            }
            pending_ = std::string_view(buffer_.get(), n);
        }
        const auto r = parser_.feed(pending_, events_);
        pending_.remove_prefix(r.consumed);
        if (r.error) {
            failure = {ReadFailure::Kind::Parse, r.error->reason, r.error->http_status};
            co_return std::nullopt;
        }
        // Once only: bytes that trickle in later must not push the caller's deadline back.
        if (started && next_event_ == events_.size()) std::exchange(started, nullptr)();
    }
    const auto e = events_[next_event_++];
    // A whole message read and nothing after it: the buffer goes back now, not at the next
    // read, which for a device whose Ping is held comes only after the answer.
    if (e.kind == http::EventKind::End && next_event_ == events_.size() && pending_.empty())
        buffer_.reset();
    co_return e;
}

}  // namespace eas::proxy
