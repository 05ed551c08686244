// Notices a peer hanging up while nobody reads from its connection: a device that gives up on a
// held Ping (or loses its network) should free the upstream request made for it, not leave it
// parked at the CAS for up to an hour. Reads nothing: pipelined bytes stay for the next read.
#pragma once

#include <functional>
#include <memory>

#include "asio.hpp"

namespace eas::net {

class HangupWatch {
  public:
    // Calls `on_hangup` once, on the socket's executor, when the peer closes or resets the
    // connection. The socket must outlive the watch.
    HangupWatch(tcp::socket& socket, std::function<void()> on_hangup);
    ~HangupWatch();
    HangupWatch(const HangupWatch&) = delete;
    HangupWatch& operator=(const HangupWatch&) = delete;

    bool fired() const;

  private:
    struct State;
    static void wait_readable(const std::shared_ptr<State>& state);
    static void check_later(const std::shared_ptr<State>& state);
    static void check(const std::shared_ptr<State>& state);
    std::shared_ptr<State> state_;
};

}  // namespace eas::net
