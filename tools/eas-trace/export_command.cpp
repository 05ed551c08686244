#include "export_command.hpp"

#include "redacted_record.hpp"

namespace eas::trace {

int run_export(TraceReader& reader, const ExportOptions& options, std::ostream& out,
               std::ostream& err) {
    HarWriter har(options.har_path);
    std::string error;
    if (!har.open(options.creator_version, error)) {
        err << "eas-trace: cannot write the HAR: " << error << "\n";
        return kExitError;
    }
    bool failed = false;
    reader.read([&](const Record& r) {
        if (!options.filter.matches(*r.summary)) return true;
        std::optional<RedactedRecord> redacted;
        if (options.redactor) redacted.emplace(r, *options.redactor);
        if (!har.add(har_entry(redacted ? redacted->record() : r, options.har), error)) {
            failed = true;
            return false;
        }
        return true;
    });
    if (failed || !har.commit(error)) {
        err << "eas-trace: cannot write the HAR: " << error << " (nothing written to "
            << options.har_path << ")\n";
        reader.finish();
        return kExitError;
    }
    const int status = reader.finish();
    auto& says = options.har_path == "-" ? err : out;
    says << "eas-trace: wrote " << har.entries() << (har.entries() == 1 ? " entry" : " entries")
         << " to " << (options.har_path == "-" ? "stdout" : options.har_path);
    if (options.redactor) {
        says << " (redacted: " << redact::level_name(options.redactor->level()) << ")\n";
    } else {
        says << (options.har.keep_secrets ? " (secrets kept)" : " (credentials redacted)") << "\n";
    }
    return status;
}

}  // namespace eas::trace
