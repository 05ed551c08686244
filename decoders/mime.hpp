// Internet mail (RFC 5322 / 2045 / 2046 / 2047 / 2231) as it travels inside ActiveSync: the
// AirSyncBase Body Type 4 data, ComposeMail Mime, and message/rfc822 SendMail bodies before 14.0.
//
// What the parser gives: each entity's header fields (unfolded, raw and with encoded-words
// decoded), Content-Type and its parameters, Content-Transfer-Encoding, Content-Disposition,
// and a part tree for multipart/* (and message/rfc822 bodies sent unencoded), each part located
// by offset and length in the input, with the size its body decodes to.
//
// Sans-IO, zero-copy for bodies (parts are offsets into the input), never throws on bad input.
// Bare LF line endings work as CRLF does. Hostile input is bounded: nesting depth, part count,
// stored header bytes per field and fields per entity all have limits, and the work is linear
// in the input times the nesting depth. A problem gives the tree parsed so far plus an error
// with its byte offset (the first problem; later ones become warnings).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "wbxml_document.hpp"

namespace eas::mime {

using DecodeError = wbxml::DecodeError;

struct Limits {
    std::size_t max_depth = 32;                // levels below the top (at most 256 is used)
    std::size_t max_parts = 1000;              // entities in the tree, the top-level one included
    std::size_t max_header_bytes = 64 * 1024;  // one unfolded field's value; longer ones are cut
    std::size_t max_headers = 500;             // fields kept per entity (the rest are skipped)
    std::size_t max_warnings = 32;
};

struct Header {
    std::string name;          // as sent ("Content-Type", "subject", ...)
    std::string raw;           // unfolded value, outer whitespace trimmed, bytes as sent
    std::string value;         // raw with RFC 2047 encoded-words decoded to UTF-8
    std::uint64_t offset = 0;  // where the field name starts in the input
    bool cut = false;          // longer than Limits::max_header_bytes; raw holds the start
};

struct Param {
    std::string name;   // lower-cased; RFC 2231 sections ("name*0*", ...) already joined
    std::string value;  // unquoted; RFC 2231 percent-encoding and charset undone; encoded-words
                        // (non-standard but common in name= and filename=) decoded
};

struct Part {
    // Location in the input: the entity (header block + body) and its body.
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::uint64_t body_offset = 0;
    std::uint64_t body_length = 0;

    std::vector<Header> headers;

    std::string content_type;             // "type/subtype" lower-cased, the default when absent
    bool content_type_defaulted = false;  // no (usable) Content-Type field
    std::vector<Param> params;            // Content-Type parameters, in order
    std::string charset;                  // the charset parameter (as sent), "" if none
    std::string boundary;                 // multipart/* only
    std::string name;                     // the name parameter, decoded
    std::string transfer_encoding;        // lower-cased; "" when absent (meaning 7bit)
    std::string disposition;              // "attachment", "inline", ... lower-cased; "" when absent
    std::string filename;                 // Content-Disposition filename, decoded
    std::string content_id;               // Content-ID without the angle brackets

    // Size of the body after Content-Transfer-Encoding decoding; absent for encodings this
    // parser does not know (x-uuencode, ...). For containers, the raw body length.
    std::optional<std::uint64_t> decoded_size;

    std::int64_t parent = -1;             // index into Message::parts; -1 for the top level
    std::vector<std::uint32_t> children;  // indices into Message::parts, in order
    std::uint32_t depth = 0;

    bool is_multipart() const { return content_type.rfind("multipart/", 0) == 0; }
    // The first header with this name (case-insensitive), or nullptr.
    const Header* header(std::string_view field) const;
    // filename, else name, else "".
    const std::string& display_name() const { return filename.empty() ? name : filename; }
};

struct Message {
    // parts[0] is the top-level entity; the rest follow in depth-first order.
    std::vector<Part> parts;
    std::vector<std::string> warnings;
    std::optional<DecodeError> error;

    bool ok() const { return !error.has_value(); }
};

// Errors (offset = where the problem is):
// - top-level header block that runs to the end of the input without an empty line;
// - a multipart body with no delimiter line, or with no closing delimiter (truncated): the
//   parts found are kept, the last one running to the end of the body;
// - nesting deeper than max_depth (that entity is kept as a leaf), more than max_parts parts
//   (the rest of that body is not parsed).
// Warnings: lines that are not header fields (the body is taken to start there), cut or
// surplus fields, a multipart without boundary, a delimiter missing from a part, ...
Message parse_mime(std::string_view input, const Limits& limits = {});

// RFC 2047 encoded-words ("=?utf-8?B?...?=", "=?iso-8859-1?Q?...?=") decoded to UTF-8,
// whitespace between adjacent encoded-words dropped. Encoded-words in charsets charset.hpp
// does not convert are left as they are.
std::string decode_encoded_words(std::string_view text);

// The part's body bytes (a view into input), and decoded per Content-Transfer-Encoding
// (base64 and quoted-printable decoded, leniently; others copied), at most max_output bytes.
std::string_view part_body(std::string_view input, const Part& part);
struct DecodedBody {
    std::string data;
    bool truncated = false;         // hit max_output
    bool unknown_encoding = false;  // copied as is: the encoding is not one this parser decodes
};
DecodedBody decode_part_body(std::string_view input, const Part& part, std::size_t max_output);

// ---- summaries ---------------------------------------------------------------------------

// The header fields a support engineer looks at first, decoded ("" when absent). mailer is
// X-Mailer, else User-Agent.
struct HeaderSummary {
    std::string from, to, cc, subject, date, message_id, mime_version, mailer;
};
HeaderSummary summarize_headers(const Part& part);

struct PartSummary {
    std::uint32_t depth = 0;
    std::string content_type;
    std::string charset;
    std::string name;  // display_name()
    std::string disposition;
    std::string transfer_encoding;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::uint64_t body_length = 0;
    std::optional<std::uint64_t> decoded_size;
    std::uint32_t children = 0;
    bool multipart = false;
};

struct Summary {
    HeaderSummary headers;           // of the top-level entity
    std::vector<PartSummary> parts;  // depth-first, as Message::parts
    std::vector<std::string> warnings;
    std::optional<DecodeError> error;
};
Summary summarize(const Message& message);

// An indented tree, one line per part, plus a last "error at byte N: ..." line on an error:
//   multipart/mixed (2 parts)
//     multipart/alternative (2 parts)
//       text/plain; charset=utf-8, 120 bytes (quoted-printable)
//       text/html, 340 bytes
//     application/pdf "report.pdf", 48213 bytes (base64)
// Sizes are decoded sizes.
std::string format_tree(const Summary& summary);

// "From: ...\nTo: ...\n" for the fields present, in HeaderSummary order.
std::string format_headers(const HeaderSummary& headers);

// {"headers": {"from": ..., ...present fields}, "parts": [{"depth", "content_type", "charset",
//  "name", "disposition", "transfer_encoding", "offset", "length", "body_length",
//  "decoded_size", "children"}, ...], "warnings": [...], "error": {"offset", "reason"}}.
// Empty fields are left out; strings are made valid UTF-8 so dump() never throws.
nlohmann::json to_json(const Summary& summary);

}  // namespace eas::mime
