#include "element_classes.hpp"

#include <map>
#include <utility>

namespace eas::redact {
namespace {

constexpr ClassEntry kTable[] = {
#include "redaction_classes_table.inc"
};

// Looked up for every element of every body: an index built once.
const ClassEntry* find(std::uint8_t page, std::string_view tag) {
    static const auto index = [] {
        std::map<std::pair<std::uint8_t, std::string_view>, const ClassEntry*> m;
        for (const auto& e : kTable) m[{e.page, e.tag}] = &e;
        return m;
    }();
    const auto it = index.find({page, tag});
    return it == index.end() ? nullptr : it->second;
}

}  // namespace

ElementClass class_of(std::uint8_t page, std::string_view tag) {
    const auto* e = find(page, tag);
    return e ? e->cls : ElementClass::Content;
}

bool is_classified(std::uint8_t page, std::string_view tag) {
    return find(page, tag) != nullptr;
}

std::string_view class_name(ElementClass c) {
    switch (c) {
        case ElementClass::Keep:
            return "keep";
        case ElementClass::Content:
            return "content";
        case ElementClass::Identity:
            return "identity";
        case ElementClass::Secret:
            return "secret";
    }
    return "content";
}

}  // namespace eas::redact
