// Runs the script: setup steps once, then the round as often as asked, --interval apart, and
// turns the way it ended into the final line and the exit status
// (0 completed or stopped by a signal, 1 a step failed, 2 connection errors).
#pragma once

#include "device.hpp"

namespace eas::device {

inline constexpr int kExitOk = 0;
inline constexpr int kExitStepFailed = 1;
inline constexpr int kExitUsage = 2;  // also connection errors

net::awaitable<int> run_script(Device& device, const Options& o, Reporter& report, StopState& stop);

}  // namespace eas::device
