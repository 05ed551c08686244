// A trace body (request.body / response.body) as HAR wants it: postData or content.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "har.hpp"

namespace eas::trace {

struct BodyParts {
    std::string mime_type;
    std::optional<std::string> text;
    bool base64 = false;
    nlohmann::json custom = nlohmann::json::object();  // the "_" fields
};

// What a body becomes in HAR: the raw bytes when the trace has them (base64 when binary),
// else easproxy's decoded XML (said so in _note), and the decoded XML in _xml either way.
BodyParts har_body(const nlohmann::json* body, std::string_view content_type,
                   std::string_view content_encoding, bool from_device, const HarOptions& o);

}  // namespace eas::trace
