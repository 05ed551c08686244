#include "wbxml_codepages.hpp"

#include <array>
#include <cctype>
#include <iterator>

#include "ascii.hpp"

namespace eas::wbxml {
namespace {

constexpr TokenInfo kTokens[] = {
#include "wbxml_codepages_table.inc"
};

constexpr std::array<std::string_view, kPageCount> kPageNames = {"AirSync",
                                                                 "Contacts",
                                                                 "Email",
                                                                 "AirNotify",
                                                                 "Calendar",
                                                                 "Move",
                                                                 "GetItemEstimate",
                                                                 "FolderHierarchy",
                                                                 "MeetingResponse",
                                                                 "Tasks",
                                                                 "ResolveRecipients",
                                                                 "ValidateCert",
                                                                 "Contacts2",
                                                                 "Ping",
                                                                 "Provision",
                                                                 "Search",
                                                                 "GAL",
                                                                 "AirSyncBase",
                                                                 "Settings",
                                                                 "DocumentLibrary",
                                                                 "ItemOperations",
                                                                 "ComposeMail",
                                                                 "Email2",
                                                                 "Notes",
                                                                 "RightsManagement",
                                                                 "Find"};

constexpr std::array<std::string_view, kPageCount> kPageNamespaces = {"AirSync:",
                                                                      "Contacts:",
                                                                      "Email:",
                                                                      "AirNotify:",
                                                                      "Calendar:",
                                                                      "Move:",
                                                                      "GetItemEstimate:",
                                                                      "FolderHierarchy:",
                                                                      "MeetingResponse:",
                                                                      "Tasks:",
                                                                      "ResolveRecipients:",
                                                                      "ValidateCert:",
                                                                      "Contacts2:",
                                                                      "Ping:",
                                                                      "Provision:",
                                                                      "Search:",
                                                                      "GAL:",
                                                                      "AirSyncBase:",
                                                                      "Settings:",
                                                                      "DocumentLibrary:",
                                                                      "ItemOperations:",
                                                                      "ComposeMail:",
                                                                      "Email2:",
                                                                      "Notes:",
                                                                      "RightsManagement:",
                                                                      "Find:"};

// Dense [page][token] index into kTokens for O(1) lookups on the decode hot path.
struct Index {
    std::array<std::array<std::int16_t, 64>, kPageCount> slot{};
    constexpr Index() {
        for (auto& page : slot)
            for (auto& s : page) s = -1;
        for (std::size_t i = 0; i < std::size(kTokens); ++i)
            slot[kTokens[i].page][kTokens[i].token & 0x3F] = static_cast<std::int16_t>(i);
    }
};
constexpr Index kIndex{};

}  // namespace

std::string_view page_name(std::uint8_t page) {
    return page < kPageCount ? kPageNames[page] : std::string_view{};
}

std::string_view page_namespace(std::uint8_t page) {
    return page < kPageCount ? kPageNamespaces[page] : std::string_view{};
}

const TokenInfo* token_info(std::uint8_t page, std::uint8_t token) {
    if (page >= kPageCount || token >= 64) return nullptr;
    const auto s = kIndex.slot[page][token];
    return s < 0 ? nullptr : &kTokens[s];
}

std::string_view tag_name(std::uint8_t page, std::uint8_t token) {
    const TokenInfo* t = token_info(page, token);
    return t ? t->name : std::string_view{};
}

std::optional<std::uint8_t> page_by_namespace(std::string_view ns) {
    if (!ns.empty() && ns.back() == ':') ns.remove_suffix(1);
    for (std::size_t i = 0; i < kPageNames.size(); ++i) {
        if (kPageNames[i] == ns) return static_cast<std::uint8_t>(i);
    }
    for (std::size_t i = 0; i < kPageNames.size(); ++i) {
        if (iequals(kPageNames[i], ns)) return static_cast<std::uint8_t>(i);
    }
    return std::nullopt;
}

std::optional<std::uint8_t> token_by_name(std::uint8_t page, std::string_view name) {
    if (page >= kPageCount) return std::nullopt;
    for (const auto& s : kIndex.slot[page]) {
        if (s >= 0 && kTokens[s].name == name) return kTokens[s].token;
    }
    for (const auto& s : kIndex.slot[page]) {
        if (s >= 0 && iequals(kTokens[s].name, name)) return kTokens[s].token;
    }
    return std::nullopt;
}

const TokenInfo* all_tokens_begin() {
    return std::begin(kTokens);
}
const TokenInfo* all_tokens_end() {
    return std::end(kTokens);
}

}  // namespace eas::wbxml
