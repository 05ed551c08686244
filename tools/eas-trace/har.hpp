// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) from trace records, for browser
// dev tools, Fiddler and Charles. Standard fields carry what those tools show; what only EAS
// knows (the decoded request line, XML bodies, Status words, 451 handling, errors) goes in
// fields starting with "_", which the spec reserves for custom data and tools ignore.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reader.hpp"

namespace eas::trace {

struct HarOptions {
    bool keep_secrets = false;  // as the trace has them; otherwise redacted (redact.hpp)
};

nlohmann::json har_entry(const Record& record, const HarOptions& options);

// The request URL: upstream origin + request target (absolute targets, from regular mode's
// plain-http requests, stand as they are).
std::string har_url(std::string_view upstream, std::string_view target);
// [{name, value}] of the query, percent-decoded; the base64 form is one name without value.
nlohmann::json har_query_string(std::string_view target);
// HAR timings from timings_ms: blocked = upstream_queue, connect = upstream_connect (TLS
// included), wait = up to the first response byte, receive = the rest; send is not measured
// apart (0, inside wait); dns and ssl -1. `time` is their sum, as the spec wants.
nlohmann::json har_timings(const nlohmann::json& timings_ms, double* time);

}  // namespace eas::trace
