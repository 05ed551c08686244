// The --json report: one JSON document with the account, every step (verdict, timing, reason,
// details, facts), the redirects met, the final EAS URL and the overall result. Never the
// password.
#pragma once

#include <ostream>

#include "probe_options.hpp"
#include "step.hpp"

namespace eas::probe {

void write_json(std::ostream& out, const Options& o, const Report& r);

}  // namespace eas::probe
