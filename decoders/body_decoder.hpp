// One entry point for "what is in this HTTP body": undo Content-Encoding (bounded), then
// decode by Content-Type, or by sniffing when the type is missing or generic (pasted bodies,
// servers that send WBXML as application/octet-stream). Used by eas-decode and the proxy.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "autodiscover.hpp"
#include "multipart.hpp"
#include "wbxml_decoder.hpp"

namespace eas {

enum class BodyKind {
    Empty,
    Wbxml,         // application/vnd.ms-sync.wbxml
    Multipart,     // application/vnd.ms-sync.multipart: part 0 is WBXML
    Autodiscover,  // text/xml mobilesync or Outlook POX Autodiscover
    Xml,           // other XML
    Rfc822,        // message/rfc822 (SendMail and friends before 14.0)
    Other,         // anything else: attachment bytes, HTML error pages...
};

std::string_view body_kind_name(BodyKind kind);

struct BodyDecodeOptions {
    std::string_view content_type;      // "" = unknown: sniff
    std::string_view content_encoding;  // "" = none (gzip is still sniffed when sniffing)
    std::size_t max_inflated = 64 * 1024 * 1024;
    wbxml::DecodeLimits limits{};
};

struct DecodedBody {
    BodyKind kind = BodyKind::Empty;
    std::string inflated;  // the body after Content-Encoding; empty when none applied
    bool was_encoded = false;
    std::vector<std::string> codings;
    std::vector<std::string> notes;  // oddities that did not stop decoding
    wbxml::Document document;        // Wbxml, or part 0 of Multipart
    bool has_document = false;
    MultipartResult multipart;  // Multipart: the parts table (views into `inflated` or input)
    std::optional<AutodiscoverRequest> autodiscover_request;
    std::optional<AutodiscoverResponse> autodiscover_response;
    // The first error, with the stage that raised it ("gzip", "wbxml", "multipart"...).
    std::optional<wbxml::DecodeError> error;
    std::string error_stage;
    bool ok() const { return !error.has_value(); }
};

// `body` must outlive the result when no Content-Encoding applied (part views point into it).
// Part views in `multipart` point into `body` or into `inflated`: use offsets after a copy.
DecodedBody decode_body(std::string_view body, const BodyDecodeOptions& options = {});

}  // namespace eas
