// Compact JSON text of an nlohmann::json value, byte for byte what
// dump(-1, ' ', false, error_handler_t::replace) writes, several times faster on long strings.
// Trace records carry whole decoded bodies (10 KB of XML per Sync) and nlohmann's serializer
// runs a UTF-8 state machine over every byte; that was the largest single cost of a traced
// request. Here valid UTF-8 is copied in runs between the characters JSON must escape, and the
// rare string that is not valid UTF-8 goes through nlohmann itself, so replacement characters
// land exactly where they always did.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace eas {

void append_compact_json(const nlohmann::json& value, std::string& out);
std::string compact_json(const nlohmann::json& value);

}  // namespace eas
