#include "runner.hpp"

namespace eas::device {

net::awaitable<int> run_script(Device& device, const Options& o, Reporter& report,
                               StopState& stop) {
    const Script& script = o.script;
    int steps = 0;
    int rounds = 0;

    auto summary = [&] {
        std::string s = std::to_string(steps) + (steps == 1 ? " step" : " steps");
        if (rounds > 0) s += ", " + std::to_string(rounds) + (rounds == 1 ? " round" : " rounds");
        return s;
    };
    auto stopped = [&]() -> int {
        report.finish(kExitOk,
                      "stopped by " +
                          (stop.signal_name.empty() ? std::string("a signal") : stop.signal_name) +
                          " after " + summary());
        return kExitOk;
    };
    // Runs one step; returns -1 to go on, or the exit status.
    auto step_ended = [&](const Step& step, const Outcome& out) -> int {
        switch (out.kind) {
            case Outcome::Kind::Ok:
                ++steps;
                return -1;
            case Outcome::Kind::Stopped:
                return stopped();
            case Outcome::Kind::Failed:
                report.finish(kExitStepFailed, "step '" + step.text + "' failed: " + out.why);
                return kExitStepFailed;
            case Outcome::Kind::ConnectionError:
                report.finish(kExitUsage, "step '" + step.text + "': " + out.why);
                return kExitUsage;
        }
        return kExitStepFailed;
    };

    for (const Step& step : script.setup) {
        if (stop.requested) co_return stopped();
        const int status = step_ended(step, co_await device.run(step));
        if (status >= 0) co_return status;
    }
    if (script.has_round()) {
        for (int round = 1; !script.rounds || round <= *script.rounds; ++round) {
            // --interval separates rounds; the first round follows the setup at once.
            if (round > 1 && !co_await device.sleep(std::chrono::milliseconds(
                                 static_cast<std::int64_t>(o.interval_seconds * 1000)))) {
                co_return stopped();
            }
            if (stop.requested) co_return stopped();
            report.detail(
                "round " + std::to_string(round) +
                (script.rounds ? " of " + std::to_string(*script.rounds) : std::string()));
            for (const Step& step : script.round) {
                if (stop.requested) co_return stopped();
                const int status = step_ended(step, co_await device.run(step));
                if (status >= 0) co_return status;
            }
            ++rounds;
        }
    }
    report.finish(kExitOk, "script completed (" + summary() + ")");
    co_return kExitOk;
}

}  // namespace eas::device
