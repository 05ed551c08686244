#include "hangup_watch.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace eas::net {

struct HangupWatch::State {
    State(tcp::socket& s, std::function<void()> f)
        : socket(&s), on_hangup(std::move(f)), timer(s.get_executor()) {}
    tcp::socket* socket;  // null once the watch is gone: queued handlers then do nothing
    std::function<void()> on_hangup;
    asio::steady_timer timer;
    bool fired = false;
};

namespace {

// The peer's FIN or RST, seen without consuming data. POLLRDHUP reports a FIN even when
// unread bytes (a pipelined request, a TLS close_notify) sit before it.
bool peer_gone(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

HangupWatch::HangupWatch(tcp::socket& socket, std::function<void()> on_hangup)
    : state_(std::make_shared<State>(socket, std::move(on_hangup))) {
    wait_readable(state_);
}

HangupWatch::~HangupWatch() {
    if (!state_->socket) return;
    // Nothing else waits on the socket while it is watched: cancel only ends our own wait.
    boost::system::error_code ignored;
    if (state_->socket->is_open()) state_->socket->cancel(ignored);
    state_->timer.cancel();
    state_->socket = nullptr;
}

bool HangupWatch::fired() const {
    return state_->fired;
}

void HangupWatch::wait_readable(const std::shared_ptr<State>& state) {
    state->socket->async_wait(tcp::socket::wait_read, [state](boost::system::error_code ec) {
        if (ec || !state->socket) return;
        check(state);
    });
}

void HangupWatch::check(const std::shared_ptr<State>& state) {
    if (!state->socket || !state->socket->is_open()) return;
    const int fd = state->socket->native_handle();
    if (peer_gone(fd)) {
        state->fired = true;
        state->on_hangup();
        return;
    }
    char byte;
    const auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        wait_readable(state);
    } else {
        // Bytes wait unread, so readiness would fire at once again: look again in a while.
        check_later(state);
    }
}

void HangupWatch::check_later(const std::shared_ptr<State>& state) {
    state->timer.expires_after(std::chrono::seconds(1));
    state->timer.async_wait([state](boost::system::error_code ec) {
        if (ec || !state->socket) return;
        check(state);
    });
}

}  // namespace eas::net
