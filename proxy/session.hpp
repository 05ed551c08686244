// One device connection: reads requests in order, sends each to the upstream, streams both
// bodies through (never waiting for a whole body), and reports every exchange as a flow.
// The loop reads top to bottom; every failure is reported in one place per phase.
#pragma once

#include <atomic>
#include <memory>
#include <regex>

#include "flow_events.hpp"
#include "bindings.hpp"
#include "redirect_policy.hpp"
#include "settings.hpp"
#include "stream.hpp"
#include "upstream_pool.hpp"

namespace spdlog {
class logger;
}

namespace eas::proxy {

// Shared by the sessions of one I/O thread.
struct SessionContext {
    const Settings& settings;
    const FlowEvents& events;
    UpstreamPool& pool;
    std::shared_ptr<spdlog::logger> log;
    std::atomic<std::uint64_t>& next_flow_id;
    std::string listener;  // for flows: "https://0.0.0.0:8443"
    const RedirectRules& rules;
    Bindings& bindings;
    Origin upstream;  // reverse mode: the CAS; regular mode: set per CONNECT or absolute URL
    // Regular mode (explicit proxy): CONNECT is intercepted with a leaf from `leaves`, unless
    // the host matches `ignore_hosts`, which are tunnelled untouched.
    bool regular = false;
    class LeafContexts* leaves = nullptr;
    const std::regex* ignore_hosts = nullptr;
};

net::awaitable<void> run_session(net::tcp::socket socket, net::ssl::context* device_tls,
                                 SessionContext ctx);

}  // namespace eas::proxy
