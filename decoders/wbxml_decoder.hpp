// WBXML 1.x decoder (WAP-192, as profiled by MS-ASWBXML). Sans-IO: bytes in, a Document out.
//
// Never throws on bad input. On an error it returns what was decoded before it (every element
// still open is kept, as if closed there) plus the byte offset and a reason.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "wbxml_document.hpp"

namespace eas::wbxml {

struct DecodeLimits {
    // EAS documents nest about 12 deep; hostile input must not make any consumer recurse deep.
    std::size_t max_depth = 256;
    // Bounds memory on hostile input where every byte is an empty tag (~48 bytes per node).
    std::size_t max_nodes = 2'000'000;
};

struct DecodeResult {
    Document document;
    std::optional<DecodeError> error;
    bool ok() const { return !error.has_value(); }
};

DecodeResult decode(std::string_view bytes, const DecodeLimits& limits = {});

// True when the bytes start like an EAS WBXML document (03 01 6A 00, or any WBXML 1.x header
// with a known charset); used to tell WBXML from XML or multipart bodies.
bool looks_like_wbxml(std::string_view bytes);

}  // namespace eas::wbxml
