// A flow as one JSON object: the trace record (schema in README, "v": 1), and the decoded
// summary the log line uses. Credentials are redacted unless told to keep them.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "redactor.hpp"

#include "flow.hpp"

namespace eas::proxy {

struct RecordOptions {
    bool keep_secrets = false;  // --trace-secrets: nothing redacted at all
    // --redact: what else is redacted or pseudonymised (secrets only when null).
    std::shared_ptr<const redact::Redactor> redactor;
    // --trace-bodies: decoded (XML), raw (base64 of the bytes as sent), both, or none.
    std::string run;  // this easproxy run ("20261125T120501-4f2a"): ids restart with each run
    bool decoded_bodies = true;
    bool raw_bodies = false;
    std::size_t max_inflated = 64 * 1024 * 1024;
};

// First EAS Status of the response body with its words, for log lines ("1 Success").
struct EasStatus {
    int value = 0;
    std::string words;
};

struct FlowSummary {
    std::string command;  // from the request line, else the request body's root element
    std::optional<EasStatus> status;
    std::string response_kind;  // "wbxml", "empty"...
    std::string body_note;      // "body not decoded: 1048576 bytes over the 4194304-byte limit"
    // Autodiscover moving a device: "redirect_address" / "redirect_url" and where to.
    std::string autodiscover_redirect;
    std::string autodiscover_target;
};

FlowSummary summarize(const Flow& flow, const RecordOptions& options);
nlohmann::json flow_record(const Flow& flow, const RecordOptions& options);

// The redactor records and log lines use: none with --trace-secrets, the --redact one, or one
// removing secrets only.
const redact::Redactor* active_redactor(const RecordOptions& options);

// "Basic [redacted] (user alex)" for Authorization values; other headers unchanged unless
// they carry cookies or tokens.
std::string redact_header(std::string_view name, std::string_view value);

}  // namespace eas::proxy
