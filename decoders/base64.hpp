// RFC 4648 base64 and hex, as engineers paste bodies from logs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace eas {

std::string base64_encode(std::string_view bytes);

struct Base64Error {
    std::size_t offset = 0;  // offset in the encoded text
    std::string reason;
};

// Decodes standard (+/) and URL-safe (-_) alphabets; padding optional; ASCII whitespace
// skipped (pasted text wraps). Anything else is an error naming its offset.
std::optional<std::string> base64_decode(std::string_view text, Base64Error* error = nullptr);

// Hex pairs, upper or lower case; whitespace, ':' and an optional leading "0x" per byte ignored
// so output of xxd -p, Wireshark "copy as hex" and C arrays paste as they are; '#' starts a
// comment that runs to the end of the line.
std::optional<std::string> hex_decode(std::string_view text, Base64Error* error = nullptr);
std::string hex_encode(std::string_view bytes);

}  // namespace eas
