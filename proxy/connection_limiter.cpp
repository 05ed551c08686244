#include "connection_limiter.hpp"

#include <algorithm>

namespace eas::proxy {

net::awaitable<ConnectionLimiter::Grant> ConnectionLimiter::acquire(const std::string& origin,
                                                                    net::asio::any_io_executor ex) {
    Grant grant;
    if (max_ == 0) {
        grant.ok = true;
        co_return grant;
    }
    std::shared_ptr<Waiter> waiter;
    {
        std::lock_guard lock(mutex_);
        auto& per = origins_[origin];
        if (per.open < max_) {
            ++per.open;
            grant.ok = true;
        } else {
            waiter = std::make_shared<Waiter>();
            waiter->timer = std::make_shared<net::asio::steady_timer>(ex);
            waiter->timer->expires_after(queue_timeout_);
            per.waiters.push_back(waiter);
        }
    }
    if (grant.ok) {
        grant.slot = Slot(this, origin);
        co_return grant;
    }
    // Idle connections pooled on other threads hold slots too: ask them to let go.
    for (const auto& [pool_ex, close_idle] : pressure_) {
        net::asio::post(pool_ex, [close_idle, origin] { close_idle(origin); });
    }
    const auto started = std::chrono::steady_clock::now();
    boost::system::error_code ignored;
    co_await waiter->timer->async_wait(net::asio::redirect_error(net::use_awaitable, ignored));
    grant.waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    {
        std::lock_guard lock(mutex_);
        // Granted even when the deadline passed at the same moment: the slot is ours then.
        if (waiter->granted) {
            grant.ok = true;
        } else {
            auto& waiters = origins_[origin].waiters;
            waiters.erase(std::remove(waiters.begin(), waiters.end(), waiter), waiters.end());
        }
    }
    if (grant.ok) grant.slot = Slot(this, origin);
    co_return grant;
}

bool ConnectionLimiter::has_waiters(const std::string& origin) const {
    if (max_ == 0) return false;
    std::lock_guard lock(mutex_);
    const auto it = origins_.find(origin);
    return it != origins_.end() && !it->second.waiters.empty();
}

void ConnectionLimiter::on_pressure(net::asio::any_io_executor ex,
                                    std::function<void(const std::string&)> f) {
    std::lock_guard lock(mutex_);
    pressure_.emplace_back(std::move(ex), std::move(f));
}

void ConnectionLimiter::release(const std::string& origin) {
    std::lock_guard lock(mutex_);
    const auto it = origins_.find(origin);
    if (it == origins_.end()) return;
    auto& per = it->second;
    if (!per.waiters.empty()) {
        // The slot passes to the oldest waiter as it is: the open count stays.
        auto waiter = per.waiters.front();
        per.waiters.pop_front();
        waiter->granted = true;
        net::asio::post(waiter->timer->get_executor(), [waiter] { waiter->timer->cancel(); });
        return;
    }
    if (--per.open == 0) origins_.erase(it);
}

}  // namespace eas::proxy
