// Reads the XML form of an EAS document (see wbxml_xml_writer.hpp) back into a Document,
// ready for the encoder. Accepts what engineers paste from MS-ASCMD examples:
//   - a default namespace per element (<Subject xmlns="Email:">) or prefixes bound on the root
//     (xmlns:email="Email:" ... <email:Subject>); namespace "AirSync" without the colon too;
//   - elements without any namespace, resolved on the current code page, then on any page
//     where the name is unique;
//   - whitespace between elements (indentation) is ignored; text inside a leaf is kept exactly.
// Special forms: opaque="base64" and encoding="base64" attributes, <TokenNN> names,
// "CodePageN:" namespaces, and the "WBXML:" namespace (literal, attribute, value, ext, pi,
// opaque, text) for WBXML constructs EAS does not use. A DOCTYPE is refused (no entity tricks).
#pragma once

#include <optional>
#include <string_view>

#include "wbxml_decoder.hpp"
#include "wbxml_document.hpp"

namespace eas::wbxml {

struct XmlReadResult {
    Document document;
    std::optional<DecodeError> error;  // offset = byte offset in the XML text
    bool ok() const { return !error.has_value(); }
};

XmlReadResult read_xml(std::string_view xml, const DecodeLimits& limits = {});

}  // namespace eas::wbxml
