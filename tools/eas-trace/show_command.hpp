// `eas-trace show N` / `show --id ID`: one flow, everything the trace holds, for a person.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "reader.hpp"
#include "redactor.hpp"
#include <memory>

namespace eas::trace {

struct ShowOptions {
    std::optional<std::size_t> number;  // N of `list`
    std::optional<std::int64_t> id;     // the record's "id" (restarts with each easproxy run)
    std::string file;                   // with --id: only records from this input
    bool raw = false;                   // hex dump of raw bodies instead of a size note
    std::shared_ptr<const redact::Redactor> redactor;  // --redact: shown as it would export
};

std::string show_text(const Record& r, bool raw);

int run_show(TraceReader& reader, const ShowOptions& options, std::ostream& out, std::ostream& err);

}  // namespace eas::trace
