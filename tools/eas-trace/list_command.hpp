// `eas-trace list`: one table row per flow (or the record itself with --json), streamed.
#pragma once

#include <ostream>
#include <string>

#include "filter.hpp"
#include "reader.hpp"

namespace eas::trace {

struct ListOptions {
    Filter filter;
    bool json = false;  // the matching records as JSON Lines, unchanged
};

std::string list_header();
std::string list_row(const Record& r);
// The last column: redirect decision and where to, the error, a failing EAS Status.
std::string list_note(const Summary& s);

int run_list(TraceReader& reader, const ListOptions& options, std::ostream& out);

}  // namespace eas::trace
