// HTTP Content-Encoding decoding (gzip, x-gzip, deflate, identity) with a hard output bound.
//
// Sans-IO: the whole (bounded) body in, the decoded body out. Never throws on bad input: the
// result keeps what was decoded before a problem, plus the problem's offset and a reason.
//
// Why a bound on the output and not only on the input: a few kilobytes of gzip inflate to
// gigabytes (deflate reaches ~1032:1), so the decoder must stop at max_output however small
// the compressed body is.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wbxml_document.hpp"

namespace eas {

using DecodeError = wbxml::DecodeError;

struct InflateResult {
    // Decoded bytes; on an error, what was decoded before it (never more than max_output).
    std::string body;
    // The codings named by the header, lower-cased, in the order they were applied by the
    // sender ("identity" and empty list members dropped). Decoding runs through them backwards.
    std::vector<std::string> codings;
    // Things a support engineer may want to know that did not stop decoding, e.g. a "deflate"
    // body that was raw deflate rather than zlib-wrapped.
    std::vector<std::string> notes;
    // For a single coding, offset is in the received body. With several codings it is in the
    // input of the layer that failed, which the reason names ("layer 1 of 2 (gzip)").
    std::optional<DecodeError> error;

    bool ok() const { return !error.has_value(); }
};

// Decodes body as described by a Content-Encoding header value.
//
// - "gzip" / "x-gzip": one or more concatenated gzip members (RFC 1952 allows several; all are
//   decoded). Data after the last member that is not another member is an error.
// - "deflate": RFC 9110 says zlib-wrapped (RFC 1950), but some servers send raw deflate
//   (RFC 1951). A body without a valid zlib header, or whose zlib decode fails before producing
//   any byte, is retried as raw deflate; a note says so.
// - "identity" or "" (no header): copied as is (still bounded by max_output).
// - A comma list ("gzip, deflate") is undone in reverse order.
// - Any other coding (br, zstd, compress): error, body left empty, nothing decoded.
//
// An empty body with a compressing coding decodes to an empty body without error (servers put
// Content-Encoding on empty 200 answers), with a note.
//
// When the output would exceed max_output, decoding stops with an error and body holds the
// first max_output bytes.
InflateResult inflate_body(std::string_view body, std::string_view content_encoding,
                           std::size_t max_output);

// Compressors, for tests, the simulated server and re-encoding rewritten bodies.
// level: 0-9 or -1 for zlib's default. Throw std::bad_alloc only if zlib cannot get memory.
std::string gzip_compress(std::string_view data, int level = -1);
std::string deflate_compress(std::string_view data, int level = -1);      // zlib-wrapped (RFC 1950)
std::string raw_deflate_compress(std::string_view data, int level = -1);  // bare RFC 1951

}  // namespace eas
