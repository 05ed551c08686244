#include "stream.hpp"

namespace eas::net {

tcp::socket& Stream::socket() {
    if (auto* t = std::get_if<TlsStream>(&s_)) return t->socket();
    return std::get<tcp::socket>(s_);
}

const tcp::socket& Stream::socket() const {
    if (const auto* t = std::get_if<TlsStream>(&s_)) return t->socket();
    return std::get<tcp::socket>(s_);
}

void Stream::upgrade_to_tls(ssl::context& ctx) {
    tcp::socket plain = std::move(std::get<tcp::socket>(s_));
    s_.emplace<TlsStream>(std::move(plain), ctx);
}

SSL* Stream::native_ssl() {
    if (auto* t = std::get_if<TlsStream>(&s_)) return t->native_handle();
    return nullptr;
}

awaitable<void> Stream::handshake_server() {
    if (auto* t = std::get_if<TlsStream>(&s_)) co_await t->handshake_server();
}

awaitable<void> Stream::handshake_client(const std::string& server_name) {
    auto* t = std::get_if<TlsStream>(&s_);
    if (!t) co_return;
    // SNI, and host name verification against the certificate (the context verifies the chain).
    t->set_server_name(server_name);
    co_await t->handshake_client();
}

awaitable<std::size_t> Stream::read_some(asio::mutable_buffer buffer) {
    if (auto* t = std::get_if<TlsStream>(&s_)) co_return co_await t->read_some(buffer);
    co_return co_await std::get<tcp::socket>(s_).async_read_some(buffer, use_awaitable);
}

awaitable<void> Stream::wait_readable() {
    if (auto* t = std::get_if<TlsStream>(&s_)) {
        co_await t->wait_readable();
    } else {
        co_await std::get<tcp::socket>(s_).async_wait(tcp::socket::wait_read, use_awaitable);
    }
}

awaitable<void> Stream::write(asio::const_buffer buffer) {
    if (auto* t = std::get_if<TlsStream>(&s_)) {
        co_await t->write(std::span<const asio::const_buffer>(&buffer, 1));
    } else {
        co_await asio::async_write(std::get<tcp::socket>(s_), buffer, use_awaitable);
    }
}

awaitable<void> Stream::write(const std::vector<asio::const_buffer>& buffers) {
    if (auto* t = std::get_if<TlsStream>(&s_)) {
        co_await t->write(buffers);
    } else {
        co_await asio::async_write(std::get<tcp::socket>(s_), buffers, use_awaitable);
    }
}

awaitable<void> Stream::shutdown() {
    if (auto* t = std::get_if<TlsStream>(&s_)) {
        // A peer that already left, or a handshake never finished, makes this fail; that is
        // fine, the socket closes anyway.
        try {
            co_await t->shutdown();
        } catch (const boost::system::system_error&) {
        }
    }
    close();
}

void Stream::close() {
    boost::system::error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
}

std::string Stream::remote() const {
    boost::system::error_code ec;
    const auto ep = socket().remote_endpoint(ec);
    if (ec) return {};
    const auto addr = ep.address();
    return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" +
           std::to_string(ep.port());
}

Watchdog::Watchdog(Stream& stream, asio::any_io_executor ex)
    : state_(std::make_shared<State>(std::move(ex))) {
    state_->stream = &stream;
}

Watchdog::~Watchdog() {
    state_->stream = nullptr;
    state_->deadline = std::chrono::steady_clock::time_point::max();
    state_->timer.cancel();
}

void Watchdog::expires_after(std::chrono::steady_clock::duration d) {
    auto& s = *state_;
    s.deadline = std::chrono::steady_clock::now() + d;
    if (s.waiting && s.timer.expiry() <= s.deadline) return;  // it fires first, then looks again
    s.timer.expires_at(s.deadline);  // a pending wait completes as superseded
    wait(state_);
}

void Watchdog::disarm() {
    // The pending wait, if any, finds no deadline and ends.
    state_->deadline = std::chrono::steady_clock::time_point::max();
}

void Watchdog::wait(const std::shared_ptr<State>& state) {
    state->waiting = true;
    const auto generation = ++state->generation;
    state->timer.async_wait([state, generation](boost::system::error_code ec) {
        if (generation != state->generation) return;  // re-armed since
        state->waiting = false;
        if (ec || !state->stream) return;
        if (state->deadline == std::chrono::steady_clock::time_point::max()) return;  // disarmed
        if (std::chrono::steady_clock::now() < state->deadline) {
            state->timer.expires_at(state->deadline);
            wait(state);
            return;
        }
        state->fired = true;
        state->stream->close();
    });
}

}  // namespace eas::net
