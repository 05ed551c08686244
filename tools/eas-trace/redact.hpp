// Credentials out of what eas-trace exports, even from a trace written with --trace-secrets:
// Authorization (the Basic user name stays, as easproxy writes it), cookies (names stay),
// Password elements in decoded XML (the element stays, its content reads [redacted], as in
// easproxy's own redaction), and raw bodies that carry a password (withheld whole).
#pragma once

#include <string>
#include <string_view>

namespace eas::trace {

inline constexpr std::string_view kRedacted = "[redacted]";

bool is_credential_header(std::string_view name);
// The value safe to share: "Basic [redacted] (user sam)", "a=[redacted]; b=[redacted]"...
// Values easproxy already redacted come back unchanged.
std::string redact_header_value(std::string_view name, std::string_view value);

// Every <Password> element's content replaced with [redacted] (any namespace prefix,
// attributes kept). `found` tells whether there was one with content to hide.
std::string redact_xml_passwords(std::string_view xml, bool* found = nullptr);
// A Password element with content other than [redacted].
bool xml_has_password(std::string_view xml);

// Decodes raw body bytes as easproxy would (Content-Type, gzip, WBXML, multipart part 0) and
// tells whether the document holds a Password element: a --trace-bodies raw trace has no XML
// to look at.
bool raw_body_has_password(std::string_view bytes, std::string_view content_type,
                           std::string_view content_encoding);

}  // namespace eas::trace
