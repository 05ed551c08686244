// A trace's body object (request.body / response.body) in usable form: the XML easproxy
// decoded, the raw bytes (base64-decoded), and the notes on what is missing and why. Shared by
// `show` and the HAR export.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace eas::trace {

struct BodyView {
    std::uint64_t bytes = 0;  // all that went through
    std::string kind;         // wbxml, multipart, autodiscover, empty, other ("" when not decoded)
    std::optional<std::string> xml;         // as easproxy decoded it
    std::optional<std::string> raw_base64;  // as in the trace
    std::optional<std::string> raw;         // its bytes; nothing when the base64 is broken
    bool raw_truncated = false;             // raw holds only the first --decode-limit bytes
    std::string raw_withheld;               // why easproxy left the raw bytes out
    std::string note;                       // why easproxy did not decode the body
};

BodyView body_view(const nlohmann::json* body);

// The body decoded to XML here, for traces written with --trace-bodies raw: WBXML (part 0 of
// a multipart) in easproxy's XML form, textual XML (Autodiscover) as it is. Nothing when the
// bytes are neither.
std::optional<std::string> xml_from_raw(std::string_view bytes, std::string_view content_type,
                                        std::string_view content_encoding, bool from_device);

// True when the bytes read well as text: valid UTF-8 without control characters other than
// tab, CR and LF. Binary bodies (WBXML) go to HAR as base64 instead.
bool is_printable_utf8(std::string_view bytes);

// Classic 16-bytes-a-line hex dump with an ASCII column, each line after `indent`.
std::string hex_dump(std::string_view bytes, std::string_view indent);

}  // namespace eas::trace
