// Which elements of an ActiveSync body carry what (redact/data/redaction-classes.tsv): the table
// --redact works from. Unknown tags count as content: when in doubt, nothing leaks.
#pragma once

#include <cstdint>
#include <string_view>

namespace eas::redact {

enum class ElementClass { Keep, Content, Identity, Secret };

struct ClassEntry {
    std::uint8_t page;
    std::string_view tag;
    ElementClass cls;
};

ElementClass class_of(std::uint8_t page, std::string_view tag);
// Whether the table names this tag (the unit test checks every code-page token).
bool is_classified(std::uint8_t page, std::string_view tag);
std::string_view class_name(ElementClass c);

}  // namespace eas::redact
