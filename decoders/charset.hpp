// Small text-encoding helpers shared by the MIME and RTF decoders: UTF-8 output, the few
// single-byte charsets mail headers and RTF actually use, and making wire bytes safe for JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eas {

// Appends the UTF-8 form of a code point; surrogates and values past U+10FFFF give U+FFFD.
void append_utf8(std::string& out, char32_t cp);

// Windows-1252 byte to code point (0x80-0x9F are the typographic extras; the five unassigned
// bytes map to the C1 control with the same value, as WHATWG does).
char32_t cp1252_to_unicode(unsigned char byte);

bool is_valid_utf8(std::string_view bytes);

// Valid UTF-8 copied as is; each byte of an invalid sequence becomes U+FFFD. For JSON output
// (nlohmann::json::dump throws on invalid UTF-8).
std::string sanitize_utf8(std::string_view bytes);

// Converts bytes in a charset named by MIME (case-insensitive) to UTF-8: utf-8 (invalid
// sequences replaced), us-ascii, iso-8859-1 / latin1, iso-8859-15, windows-1252 / cp1252,
// utf-16le, utf-16be, utf-16 (BOM, else big-endian). Other charsets: nullopt.
std::optional<std::string> charset_to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace eas
