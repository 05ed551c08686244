// Multipart ItemOperations bodies (Content-Type application/vnd.ms-sync.multipart, MS-ASCMD
// 2.2.1.10.1.1):
//
//   uint32 PartsCount (N)
//   N x { uint32 Offset; uint32 Length }   Offset counts from byte 0 of the body
//   part data ...
//
// All integers little-endian. MS-ASCMD calls them signed; they are read unsigned here, so a
// "negative" value is simply far past the end of any real body and fails the bounds checks.
// Part 0 is the WBXML ItemOperations response; itemoperations:Part in it indexes the others.
//
// Sans-IO and zero-copy: parts are views into the body passed in, which must outlive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wbxml_document.hpp"

namespace eas {

using DecodeError = wbxml::DecodeError;

struct MultipartPart {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    std::string_view data;  // body.substr(offset, length)
};

struct MultipartResult {
    std::uint32_t declared_count = 0;  // PartsCount as sent (0 if the body is under 4 bytes)
    // Parts in table order. On an error, the parts before the first bad entry.
    std::vector<MultipartPart> parts;
    // Layout oddities that do not stop decoding: overlapping parts (allowed: nothing in the spec
    // forbids two table entries sharing bytes, and views make it harmless, but no real server
    // does it, so it is worth a line in a trace) and body bytes no part covers.
    std::vector<std::string> warnings;
    std::optional<DecodeError> error;

    bool ok() const { return !error.has_value(); }
};

// Errors (offset = the byte where the bad field starts):
// - body shorter than 4 bytes;
// - PartsCount 0 (a multipart response always carries the WBXML response as part 0);
// - the 4 + 8*N table does not fit in the body (computed in 64 bits: no wrap);
// - a part that ends past the body (offset + length in 64 bits), or that has data starting
//   inside the table. Zero-length parts may point anywhere up to the end of the body.
// Decoding stops at the first bad table entry and keeps the parts before it.
MultipartResult parse_multipart(std::string_view body);

// Lays out parts back to back after the table, as Exchange and Z-Push do. Returns an empty
// string if the result would not fit the format's 32-bit offsets (4 GiB).
std::string build_multipart(const std::vector<std::string_view>& parts);

// Cheap check, no allocation: at least one part, table fits, every part lies within the body
// (none inside the table) and part 0 is non-empty and starts right after the table at 4 + 8N. WBXML
// (03 01 6A 00) and XML bodies fail it because their first four bytes read as an absurd part count.
bool looks_like_multipart(std::string_view body);

}  // namespace eas
