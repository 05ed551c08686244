// Encodes a Document (or its XML form) as WBXML bytes, the way EAS peers expect them:
// header 03 01 6A 00, SWITCH_PAGE only when the page changes, STR_I for text, OPAQUE for
// opaque data, a string table only when LITERAL names need one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wbxml_document.hpp"

namespace eas::wbxml {

struct EncodeResult {
    std::string bytes;
    std::optional<DecodeError> error;  // a structure WBXML cannot express; offset = node index
    bool ok() const { return !error.has_value(); }
};

EncodeResult encode(const Document& doc);

// read_xml + encode; errors carry the XML byte offset.
EncodeResult encode_xml(std::string_view xml);

}  // namespace eas::wbxml
