#include "step.hpp"

#include <algorithm>

#include "probe_options.hpp"

namespace eas::probe {

std::string_view verdict_name(Verdict v) {
    switch (v) {
        case Verdict::Pass:
            return "PASS";
        case Verdict::Warn:
            return "WARN";
        case Verdict::Fail:
            return "FAIL";
        case Verdict::Skip:
            return "SKIP";
    }
    return "?";
}

void Report::add(Step step) {
    steps_.push_back(std::move(step));
    if (on_step) on_step(steps_.back());
}

Verdict Report::overall() const {
    if (count(Verdict::Fail)) return Verdict::Fail;
    if (count(Verdict::Warn)) return Verdict::Warn;
    return Verdict::Pass;
}

int Report::exit_status() const {
    switch (overall()) {
        case Verdict::Fail:
            return kExitFail;
        case Verdict::Warn:
            return kExitWarn;
        default:
            return kExitPass;
    }
}

std::size_t Report::count(Verdict v) const {
    return static_cast<std::size_t>(
        std::count_if(steps_.begin(), steps_.end(), [v](const Step& s) { return s.verdict == v; }));
}

}  // namespace eas::probe
