// Compressed RTF (MS-OXRTFCP), as carried by AirSyncBase Body Type 3 (base64 of the bytes
// below) and PidTagRtfCompressed:
//
//   uint32 COMPSIZE   bytes after this field (header rest + payload): total size - 4
//   uint32 RAWSIZE    size of the decompressed RTF
//   uint32 COMPTYPE   0x75465A4C "LZFu" (compressed) or 0x414C454D "MELA" (stored as is)
//   uint32 CRC        LZFu: CRC-32 of the payload (see rtf_crc32); MELA: 0
//   payload
//
// All integers little-endian. LZFu payload: a control byte whose bits, least significant first,
// say whether each of the next eight tokens is a literal byte (0) or a 2-byte big-endian
// dictionary reference (1): 12-bit offset, 4-bit length (+2). The 4096-byte ring dictionary
// starts with a fixed RTF prologue; the stream ends with a reference whose offset equals the
// dictionary's write position.
//
// Sans-IO; never throws on bad input. Output bounded by RAWSIZE and the caller's limit.
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

inline constexpr std::uint32_t kLzfuCompressed = 0x75465A4C;    // "LZFu"
inline constexpr std::uint32_t kLzfuUncompressed = 0x414C454D;  // "MELA"

struct LzfuHeader {
    std::uint32_t comp_size = 0;
    std::uint32_t raw_size = 0;
    std::uint32_t comp_type = 0;
    std::uint32_t crc = 0;
};

struct LzfuResult {
    std::optional<LzfuHeader> header;  // absent when the input is under 16 bytes
    bool compressed = false;           // COMPTYPE is LZFu
    // LZFu only: whether the CRC could be checked (not when the input is truncated) and what the
    // payload's CRC actually is.
    bool crc_checked = false;
    std::uint32_t computed_crc = 0;
    // The RTF text; on an error, what was decoded before it (the whole text on a CRC mismatch,
    // which does not stop decoding).
    std::string rtf;
    // Oddities that did not stop decoding: trailing bytes, RAWSIZE disagreeing with the output,
    // a MELA header with a non-zero CRC, further problems after the first error.
    std::vector<std::string> warnings;
    // The first problem; offset is in the input (header fields: 0 COMPSIZE, 8 COMPTYPE, 12 CRC).
    std::optional<DecodeError> error;

    bool ok() const { return !error.has_value(); }
};

// Errors: input under 16 bytes; COMPSIZE under 12; unknown COMPTYPE; COMPSIZE larger than the
// input (truncated: decoded as far as it goes, CRC not checked); CRC mismatch; a reference cut
// by the end of the data; data ending without the end reference; output over max_output.
// Output past RAWSIZE is cut there with a warning.
LzfuResult decompress_rtf(std::string_view data, std::size_t max_output = 16 * 1024 * 1024);

// The CRC MS-OXRTFCP 2.1.3.2 defines: the usual reflected CRC-32 table (polynomial 0xEDB88320)
// but starting from `crc` (0 for a whole payload) with no final inversion. Pass a previous
// result to continue over more bytes.
std::uint32_t rtf_crc32(std::string_view bytes, std::uint32_t crc = 0);

// The dictionary's initial contents (207 bytes; the write position starts after them).
std::string_view lzfu_initial_dictionary();

// True when `data` starts with a header whose COMPTYPE is LZFu or MELA and whose COMPSIZE fits
// the input. Cheap; for sniffing base64 bodies.
bool looks_like_compressed_rtf(std::string_view data);

// Plain text out of RTF, for previews: control words and ignorable or non-text destinations
// (\*..., fonttbl, colortbl, stylesheet, info, pict, ...) dropped; \par, \line, \row, \sect and
// \page become "\n", \tab and \cell "\t"; \'hh decoded as Windows-1252 (other \ansicpg code
// pages give U+FFFD for bytes over 0x7F); \uN (with \ucN fallback skipping and surrogate pairs)
// decoded; \bin skipped. Output is UTF-8, at most max_output bytes. Linear in the input; group
// nesting past 256 levels is dropped. HTML-encapsulated RTF (\fromhtml) gives the text an RTF
// reader shows, not the HTML.
struct RtfText {
    std::string text;
    bool truncated = false;  // hit max_output
    bool from_html = false;  // \fromhtml1: the RTF encapsulates an HTML body
    bool from_text = false;  // \fromtext: the RTF encapsulates a plain-text body
};
RtfText rtf_to_text(std::string_view rtf, std::size_t max_output = 64 * 1024);

}  // namespace eas
