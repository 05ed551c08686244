// The ActiveSync WBXML code pages 0-25 (MS-ASWBXML), EAS 2.5 to 16.1.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace eas::wbxml {

inline constexpr int kPageCount = 26;

struct TokenInfo {
    std::uint8_t page;
    std::uint8_t token;
    std::string_view name;
    std::string_view first_version;  // "" when no source states it
};

// Name of a code page ("AirSync", "Email2"...), or "" for a page EAS does not define.
std::string_view page_name(std::uint8_t page);

// XML namespace of a page as MS-ASCMD examples spell it ("AirSync:"). Unknown pages get
// "easproxy:page:N" from page_namespace_for_unknown so they survive a round trip.
std::string_view page_namespace(std::uint8_t page);

// Tag name for page/token, or "" when the token is not defined on that page.
std::string_view tag_name(std::uint8_t page, std::uint8_t token);

// Full entry for page/token, or nullptr.
const TokenInfo* token_info(std::uint8_t page, std::uint8_t token);

// Reverse lookups for the encoder. Page by name accepts "AirSync" and "AirSync:".
std::optional<std::uint8_t> page_by_namespace(std::string_view ns);
// Token by tag name on a page; names are matched exactly first, then case-insensitively
// (public sources disagree on case, e.g. SMTPAddress / SmtpAddress).
std::optional<std::uint8_t> token_by_name(std::uint8_t page, std::string_view name);

// Every defined token, in table order (page, then token).
const TokenInfo* all_tokens_begin();
const TokenInfo* all_tokens_end();

}  // namespace eas::wbxml
