#include "body_redaction.hpp"

#include "wbxml_xml_writer.hpp"

namespace eas::proxy {
namespace {

bool is_secret(const wbxml::Document& doc, const wbxml::Node& n) {
    if (n.kind != wbxml::NodeKind::Element) return false;
    return (n.literal ? std::string(doc.data(n)) : wbxml::element_name(n.page, n.token)) ==
           "Password";
}

void copy_redacted(const wbxml::Document& from, std::uint32_t index, wbxml::Document& to,
                   std::uint32_t parent) {
    const auto& n = from.node(index);
    if (!is_secret(from, n)) {
        wbxml::Node copy = n;
        std::tie(copy.data_offset, copy.data_size) = to.store(from.data(n));
        const auto at = to.add_node(parent, copy);
        // Depth is bounded by the decoder's limits, so this recursion is bounded too.
        for (auto c : wbxml::children(from, index)) copy_redacted(from, c, to, at);
        return;
    }
    wbxml::Node element = n;
    std::tie(element.data_offset, element.data_size) = to.store(from.data(n));
    const auto at = to.add_node(parent, element);
    // Attributes say nothing secret; text, opaque and nested content do.
    for (auto c : wbxml::children(from, index)) {
        if (from.node(c).kind == wbxml::NodeKind::Attribute) copy_redacted(from, c, to, at);
    }
    to.add_text(at, "[redacted]");
}

}  // namespace

bool has_secrets(const wbxml::Document& doc) {
    for (std::uint32_t i = 0; i < doc.node_count(); ++i) {
        if (is_secret(doc, doc.node(i))) return true;
    }
    return false;
}

wbxml::Document redact_secrets(const wbxml::Document& doc) {
    wbxml::Document out;
    out.header = doc.header;
    for (auto top : wbxml::children(doc, wbxml::kNoNode))
        copy_redacted(doc, top, out, wbxml::kNoNode);
    return out;
}

}  // namespace eas::proxy
