// Listener, I/O threads (one io_context each, so the upstream pools need no locks), signals:
// SIGINT/SIGTERM stop accepting and give in-flight flows a grace period; SIGHUP reopens the
// trace file.
#pragma once

#include <memory>

#include "options.hpp"

namespace eas::proxy {

// Runs until a stop signal; returns the process exit code.
int run_server(const Options& options);

}  // namespace eas::proxy
