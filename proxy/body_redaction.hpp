// Credentials inside decoded bodies (Settings DevicePassword, ItemOperations and Search
// Password, ...): every element named Password keeps its place in the tree, its content
// replaced by "[redacted]", so a trace still shows that a password was sent.
#pragma once

#include "wbxml_document.hpp"

namespace eas::proxy {

bool has_secrets(const wbxml::Document& doc);
wbxml::Document redact_secrets(const wbxml::Document& doc);

}  // namespace eas::proxy
