// `eas-trace export --har OUT`: the flows `list` would show, as a HAR 1.2 file.
#pragma once

#include <ostream>
#include <string>

#include "filter.hpp"
#include "har.hpp"
#include "har_writer.hpp"
#include "reader.hpp"
#include "redactor.hpp"
#include <memory>

namespace eas::trace {

struct ExportOptions {
    Filter filter;
    std::string har_path;  // "-": stdout
    HarOptions har;
    std::string creator_version;
    // --redact content|strict: the records redacted as easproxy --redact would (before the
    // HAR's own credential redaction).
    std::shared_ptr<const redact::Redactor> redactor;
};

// The count of entries written goes to `out`, or to `err` when the HAR itself goes to stdout.
int run_export(TraceReader& reader, const ExportOptions& options, std::ostream& out,
               std::ostream& err);

}  // namespace eas::trace
