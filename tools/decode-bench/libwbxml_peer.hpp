// libwbxml (Debian libwbxml2), the peer easproxy's WBXML decoder is checked and measured
// against. Used by the cross-check test and the decode benchmark only; never by the product.
#pragma once

#include <string>
#include <string_view>

namespace eas::peer {

struct LibwbxmlResult {
    bool ok = false;
    std::string output;  // XML text (to_xml) or WBXML bytes (to_wbxml)
    std::string error;   // libwbxml's own message when !ok
};

// WBXML -> XML with libwbxml's ActiveSync tables; compact (no indentation) unless told.
LibwbxmlResult libwbxml_to_xml(std::string_view wbxml, bool indent = false);

// XML (libwbxml's spelling of names) -> WBXML, no string table, as EAS peers send it.
LibwbxmlResult libwbxml_to_wbxml(std::string_view xml);

}  // namespace eas::peer
