// The human report: a header naming the account, one aligned line per step as it finishes
// (verdict, name, time, reason) with its details indented below, a heading whenever the target
// changes (Autodiscover, then each EAS URL a redirect leads to) and a one-line result.
// Colour only on a terminal (and never with NO_COLOR set).
#pragma once

#include <ostream>
#include <string>

#include "probe_options.hpp"
#include "step.hpp"

namespace eas::probe {

bool stdout_wants_colour();

class TextOutput {
  public:
    TextOutput(std::ostream& out, bool colour) : out_(out), colour_(colour) {}
    void header(const Options& o);
    void step(const Step& s);
    void footer(const Report& r);

  private:
    std::string paint(std::string_view text, const char* code) const;

    std::ostream& out_;
    bool colour_;
    std::string last_target_;
};

}  // namespace eas::probe
