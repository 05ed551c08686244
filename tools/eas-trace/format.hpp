// Number and text formatting shared by the table views.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eas::trace {

// 412, 5.1K, 100.0M: short enough for a table column; exact counts are in --json.
std::string human_bytes(std::uint64_t bytes);
// 2.50, 172.1, 29987: three significant figures or so, never scientific.
std::string human_ms(double ms);
std::string human_ms(std::optional<double> ms);  // "-" when unknown
// "12.5%"
std::string percent(std::uint64_t part, std::uint64_t whole);
// host:port of a URL (https://mail2.contoso.com/Microsoft-Server-ActiveSync -> mail2.contoso.com),
// the text itself when it is not a URL.
std::string url_authority(std::string_view url);
// Left- or right-aligned in `width` columns (longer text is kept whole).
std::string pad_right(std::string_view text, std::size_t width);
std::string pad_left(std::string_view text, std::size_t width);
// Cut to `width` characters with "..." at the end when longer (UTF-8 aware enough not to split
// a multi-byte character).
std::string ellipsize(std::string_view text, std::size_t width);

}  // namespace eas::trace
