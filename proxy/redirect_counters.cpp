#include "redirect_counters.hpp"

namespace eas::proxy {

std::string RedirectCounters::refusal_category(const std::string& d) {
    if (d.find("allowlist") != std::string::npos) return "allowlist";
    if (d.find("https only") != std::string::npos) return "https-only";
    if (d.find("loop") != std::string::npos) return "loop";
    if (d.find("hop limit") != std::string::npos) return "hop-limit";
    if (d.find("replay bound") != std::string::npos) return "replay-bound";
    if (d.find("connect") != std::string::npos || d.find("TLS") != std::string::npos)
        return "unreachable";
    return "other";
}

void RedirectCounters::count(const Flow& f) {
    if (f.ms_location.empty() && f.redirect_decision.empty()) return;
    // A followed flow was answered 451 by the first upstream of its chain.
    const std::string upstream = f.redirect_chain.empty() ? f.upstream : f.redirect_chain.front();
    std::lock_guard lock(mutex_);
    auto& c = by_upstream_[upstream];
    ++c.seen;
    const auto& d = f.redirect_decision;
    if (d == "followed") {
        ++c.followed;
    } else if (d == "rewritten") {
        ++c.rewritten;
    } else if (d.rfind("refused", 0) == 0) {
        ++c.refused[refusal_category(d)];
    } else {
        ++c.passed;
    }
}

std::map<std::string, RedirectCounts> RedirectCounters::snapshot() const {
    std::lock_guard lock(mutex_);
    return by_upstream_;
}

std::vector<std::string> RedirectCounters::report() const {
    std::vector<std::string> lines;
    for (const auto& [upstream, c] : snapshot()) {
        std::uint64_t refused = 0;
        std::string reasons;
        for (const auto& [why, n] : c.refused) {
            refused += n;
            reasons += (reasons.empty() ? "" : ", ") + why + " " + std::to_string(n);
        }
        lines.push_back(upstream + ": 451 seen " + std::to_string(c.seen) + ", passed " +
                        std::to_string(c.passed) + ", followed " + std::to_string(c.followed) +
                        ", rewritten " + std::to_string(c.rewritten) + ", refused " +
                        std::to_string(refused) + (reasons.empty() ? "" : " (" + reasons + ")"));
    }
    if (lines.empty()) lines.push_back("no 451 seen yet");
    return lines;
}

}  // namespace eas::proxy
