// What sits inside an ActiveSync body, for traces that keep content: MIME messages (AirSyncBase
// Body Type 4, Email MIMEData, ComposeMail Mime, a 12.x SendMail body) as a header summary and
// part tree; compressed RTF (Body Type 3, CompressedRTF) decompressed to a text preview; base64
// pictures and certificates summarised (type, size, certificate subject) instead of dumped.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "wbxml_document.hpp"

namespace eas::proxy {

// One entry per nested payload found, in document order (at most `limit`); an empty array when
// there are none.
nlohmann::json nested_payloads(const wbxml::Document& doc, std::size_t limit = 32);

// A whole body that is a MIME message (SendMail before 14.0: Content-Type message/rfc822).
nlohmann::json mime_payload(std::string_view message);

}  // namespace eas::proxy
