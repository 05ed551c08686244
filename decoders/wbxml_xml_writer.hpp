// Renders a decoded WBXML document as XML, each element in its code page's namespace.
//
// The XML is the canonical human form of a document: eas-decode prints it, the encoder reads
// it back, and decode(encode(xml)) reproduces the same tree. Conventions:
//   <Sync xmlns="AirSync:">             namespace declared where the code page changes
//   <Mime opaque="base64">...</Mime>   OPAQUE data, base64, when it is the element's content
//   <Subject encoding="base64">..     text that is not valid XML (bad UTF-8, control bytes)
//   <Token0x2A xmlns="AirSync:"/>      a token the code page does not define (page 0, 0x2A)
//   <Token0x05 xmlns="CodePage30:"/>   a code page EAS does not define (page 30)
//   WBXML constructs EAS never uses (attributes, LITERAL tags, EXT_*, PI inside the body)
//   appear as elements in the "WBXML:" namespace; see wbxml_xml_reader.hpp.
#pragma once

#include <string>
#include <string_view>

#include "wbxml_document.hpp"

namespace eas::wbxml {

inline constexpr std::string_view kWbxmlNamespace = "WBXML:";

struct XmlWriteOptions {
    bool declaration = true;  // <?xml version="1.0" encoding="utf-8"?>
    bool indent = true;       // two spaces per level, between elements only (never in text)
    // After each command Status element, an XML comment with its meaning:
    //   <Status>3</Status><!-- Invalid or mismatched SyncKey -->
    // Comments are invisible to XML parsers, so annotated XML still encodes to the same WBXML.
    bool annotate_status = false;
    // Who sent the document, when known: Provision acknowledgements use other words.
    enum class Sender { Unknown, Client, Server } sender = Sender::Unknown;
};

void write_xml(const Document& doc, std::string& out, const XmlWriteOptions& options = {});
std::string to_xml(const Document& doc, const XmlWriteOptions& options = {});

// Namespace and local name the XML form uses for an element node (handles unknown pages and
// tokens); shared with the JSON writer so both name things alike.
std::string element_namespace(std::uint8_t page);
std::string element_name(std::uint8_t page, std::uint8_t token);

// True when the bytes can be written as XML character data without loss.
bool is_xml_safe_text(std::string_view text);

// Appends text with &, <, > and CR escaped (CR would be normalised away by XML parsers).
void append_escaped(std::string& out, std::string_view text, bool in_attribute = false);

}  // namespace eas::wbxml
