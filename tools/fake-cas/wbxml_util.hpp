// Small helpers over the project's WBXML decoder and encoder: find request elements by
// code-page name, and build responses as XML text that wbxml::encode_xml turns into bytes.
// Writing responses as XML keeps the handlers readable next to the MS-ASCMD examples.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wbxml_document.hpp"

namespace fakecas {

struct Tag {
    std::uint8_t page = 0;
    std::uint8_t token = 0;
};

// "AirSync", "Collections" -> page/token; a misspelt name is a programming error and aborts at
// the first use with the name in the message.
Tag tag(std::string_view ns, std::string_view name);

bool is(const eas::wbxml::Document& d, std::uint32_t node, Tag t);
std::uint32_t child(const eas::wbxml::Document& d, std::uint32_t parent, Tag t);
std::vector<std::uint32_t> children(const eas::wbxml::Document& d, std::uint32_t parent, Tag t);
// Text of the first child with that tag, or nullopt when the element is absent.
std::optional<std::string> child_text(const eas::wbxml::Document& d, std::uint32_t parent, Tag t);
// Content of an element whose data may be STR_I text or OPAQUE bytes (ComposeMail Mime).
std::string content_bytes(const eas::wbxml::Document& d, std::uint32_t element);

// Builds XML; the namespaces of all code pages a response uses are declared on the root with
// prefixes, e.g. Xml x("Sync", "AirSync", {"airsyncbase", "email"}) then x.leaf("email:Subject").
class Xml {
  public:
    // A fragment without a root, spliced into a document that declares the prefixes it uses.
    Xml() = default;
    Xml(std::string_view root, std::string_view ns,
        std::initializer_list<std::string_view> prefixed = {});
    Xml& open(std::string_view name);
    Xml& close();
    Xml& leaf(std::string_view name, std::string_view text);
    Xml& leaf(std::string_view name, std::uint64_t number);
    Xml& empty(std::string_view name);
    Xml& opaque(std::string_view name, std::string_view bytes);
    Xml& raw(std::string_view xml);  // a fragment built by another Xml
    // Closes every open element and returns the document.
    std::string finish();

  private:
    std::string out_;
    std::vector<std::string> open_;
};

// encode_xml that treats a failure as a bug in fake-cas (throws std::logic_error naming it).
std::string to_wbxml(const std::string& xml);

}  // namespace fakecas
