// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed pseudo-random function with a 128-bit key
// and a 64-bit output. Redaction uses it so that equal values get equal tokens within one export
// while nothing can be read back, and another key gives unrelated tokens.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace eas::redact {

using SipKey = std::array<std::uint8_t, 16>;

std::uint64_t siphash24(const SipKey& key, std::string_view data);

}  // namespace eas::redact
