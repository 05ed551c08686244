// The same tree as the XML form, as JSON for scripts (eas-decode --json, traces, the web view).
//   {"tag": "Sync", "ns": "AirSync", "children": [
//      {"tag": "SyncKey", "ns": "AirSync", "text": "0"},
//      {"tag": "Mime", "ns": "ComposeMail", "opaque": "<base64>"}, ...]}
// An element whose only content is one text or opaque value carries it directly ("text" /
// "opaque"); otherwise "children" lists elements and {"text": ...} / {"opaque": ...} items.
// Text that is not valid UTF-8 appears as {"text_base64": ...}. Unknown pages or tokens carry
// "page" and "token" numbers and "unknown": true.
#pragma once

#include <nlohmann/json.hpp>

#include "wbxml_document.hpp"

namespace eas::wbxml {

nlohmann::json to_json(const Document& doc);

// One element subtree (for views that show part of a document).
nlohmann::json element_to_json(const Document& doc, std::uint32_t element);

}  // namespace eas::wbxml
