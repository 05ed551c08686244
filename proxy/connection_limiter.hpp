// Caps the connections easproxy holds open to one upstream (busy and idle, over every I/O
// thread), so a burst of devices cannot exhaust a CAS's connection slots. A request over the cap
// waits in a first-come queue for a slot, up to a deadline; a freed slot goes straight to the
// oldest waiter. The I/O threads share one limiter, hence the mutex; waiters are woken on their
// own thread.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "asio.hpp"

namespace eas::proxy {

class ConnectionLimiter {
  public:
    // max_per_origin 0: no cap.
    ConnectionLimiter(std::size_t max_per_origin, std::chrono::milliseconds queue_timeout)
        : max_(max_per_origin), queue_timeout_(queue_timeout) {}

    // One open connection's place under the cap; freed when destroyed.
    class Slot {
      public:
        Slot() = default;
        Slot(ConnectionLimiter* owner, std::string origin)
            : owner_(owner), origin_(std::move(origin)) {}
        Slot(Slot&& o) noexcept
            : owner_(std::exchange(o.owner_, nullptr)), origin_(std::move(o.origin_)) {}
        Slot& operator=(Slot&& o) noexcept {
            if (this != &o) {
                reset();
                owner_ = std::exchange(o.owner_, nullptr);
                origin_ = std::move(o.origin_);
            }
            return *this;
        }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() { reset(); }
        void reset() {
            if (owner_) std::exchange(owner_, nullptr)->release(origin_);
        }

      private:
        ConnectionLimiter* owner_ = nullptr;
        std::string origin_;
    };

    struct Grant {
        bool ok = false;
        Slot slot;
        std::chrono::milliseconds waited{0};
    };

    // A slot for `origin` now, or after waiting; ok is false when the queue timeout passed.
    net::awaitable<Grant> acquire(const std::string& origin, net::asio::any_io_executor ex);

    // Whether a request waits for `origin`: a connection finishing then is closed, not pooled,
    // so its slot goes to the waiter.
    bool has_waiters(const std::string& origin) const;

    // Called (on the pool's own executor) when a request starts waiting for `origin`, so pools
    // on other threads close their idle connections to it.
    void on_pressure(net::asio::any_io_executor ex, std::function<void(const std::string&)> f);

    std::size_t limit() const { return max_; }
    std::chrono::milliseconds queue_timeout() const { return queue_timeout_; }

  private:
    struct Waiter {
        std::shared_ptr<net::asio::steady_timer> timer;
        bool granted = false;
    };
    struct PerOrigin {
        std::size_t open = 0;
        std::deque<std::shared_ptr<Waiter>> waiters;
    };
    void release(const std::string& origin);

    const std::size_t max_;
    const std::chrono::milliseconds queue_timeout_;
    mutable std::mutex mutex_;
    std::map<std::string, PerOrigin> origins_;
    std::vector<std::pair<net::asio::any_io_executor, std::function<void(const std::string&)>>>
        pressure_;
};

}  // namespace eas::proxy
