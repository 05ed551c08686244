// Counts redirects per upstream: seen, passed, followed, rewritten, refused (by reason). Kept
// for the metrics endpoint to come; shown now by SIGUSR1 and at shutdown.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "flow_events.hpp"

namespace eas::proxy {

struct RedirectCounts {
    std::uint64_t seen = 0, passed = 0, followed = 0, rewritten = 0;
    std::map<std::string, std::uint64_t> refused;  // reason category -> count
};

class RedirectCounters : public FlowObserver {
  public:
    void response_complete(const Flow& f) override { count(f); }
    void error(const Flow& f) override { count(f); }

    std::map<std::string, RedirectCounts> snapshot() const;
    // One line per upstream: "https://cas-a: 451 seen 12, passed 3, followed 8, rewritten 0,
    // refused 1 (allowlist 1)"
    std::vector<std::string> report() const;

    // "allowlist", "https-only", "loop", "hop-limit", "replay-bound", "unreachable", "other"
    static std::string refusal_category(const std::string& decision);

  private:
    void count(const Flow& f);
    mutable std::mutex mutex_;
    std::map<std::string, RedirectCounts> by_upstream_;
};

}  // namespace eas::proxy
