// A record as --redact LEVEL would have written it: eas-trace applies easproxy's redaction
// (redact/) to existing traces, so one raw capture gives several shareable exports.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "reader.hpp"
#include "redactor.hpp"

namespace eas::trace {

// Owns the redacted copy the returned Record points into; `r` itself is left alone.
class RedactedRecord {
  public:
    RedactedRecord(const Record& r, const redact::Redactor& redactor);
    const Record& record() const { return record_; }

  private:
    nlohmann::json json_;
    Summary summary_;
    std::string text_;
    Record record_;
};

// --redact LEVEL and --redact-key as the commands take them; nullptr for no redaction.
std::shared_ptr<const redact::Redactor> make_redactor(const std::string& level,
                                                      const std::string& key);

}  // namespace eas::trace
