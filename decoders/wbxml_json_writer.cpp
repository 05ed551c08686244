#include "wbxml_json_writer.hpp"

#include "base64.hpp"
#include "wbxml_codepages.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::wbxml {
namespace {

nlohmann::json value_json(const Document& doc, const Node& n) {
    const auto data = doc.data(n);
    if (n.kind == NodeKind::Opaque) return {{"opaque", base64_encode(data)}};
    if (is_xml_safe_text(data)) return {{"text", std::string(data)}};
    return {{"text_base64", base64_encode(data)}};
}

// Names and EXT strings come from the wire: keep invalid UTF-8 as base64 so the JSON stays valid.
nlohmann::json safe_string(std::string_view s) {
    if (is_xml_safe_text(s)) return std::string(s);
    return {{"base64", base64_encode(s)}};
}

nlohmann::json node_json(const Document& doc, std::uint32_t i) {
    const Node& n = doc.node(i);
    nlohmann::json j;
    switch (n.kind) {
        case NodeKind::Text:
        case NodeKind::Opaque:
            return value_json(doc, n);
        case NodeKind::Element:
            if (n.literal) {
                j["literal"] = safe_string(doc.data(n));
            } else {
                j["tag"] = element_name(n.page, n.token);
                const auto page = page_name(n.page);
                j["ns"] = page.empty() ? "CodePage" + std::to_string(n.page) : std::string(page);
                if (tag_name(n.page, n.token).empty()) {
                    j["page"] = n.page;
                    j["token"] = n.token;
                    j["unknown"] = true;
                }
            }
            break;
        case NodeKind::Attribute:
            j["attribute"] = n.literal ? safe_string(doc.data(n))
                                       : nlohmann::json{{"page", n.page}, {"token", n.token}};
            break;
        case NodeKind::AttributeValue:
            return {{"attribute_value", {{"page", n.page}, {"token", n.token}}}};
        case NodeKind::ProcessingInstruction:
            j["pi"] = true;
            break;
        case NodeKind::Extension:
            j["ext"] = n.token;
            if (n.token >= 0x40 && n.token <= 0x42) j["text"] = safe_string(doc.data(n));
            if (n.token >= 0x80 && n.token <= 0x82) j["value"] = n.number;
            return j;
    }
    if (n.first_child == kNoNode) return j;
    const Node& first = doc.node(n.first_child);
    if (n.kind == NodeKind::Element && first.next_sibling == kNoNode &&
        (first.kind == NodeKind::Text || first.kind == NodeKind::Opaque)) {
        j.update(value_json(doc, first));
        return j;
    }
    auto& list = j["children"] = nlohmann::json::array();
    for (auto c : children(doc, i)) list.push_back(node_json(doc, c));
    return j;
}

}  // namespace

nlohmann::json element_to_json(const Document& doc, std::uint32_t element) {
    return node_json(doc, element);
}

nlohmann::json to_json(const Document& doc) {
    nlohmann::json j;
    j["wbxml"] = {{"version", std::to_string((doc.header.version >> 4) + 1) + "." +
                                  std::to_string(doc.header.version & 0x0F)},
                  {"public_id", doc.header.public_id},
                  {"charset", doc.header.charset}};
    const auto root = doc.root_element();
    for (auto i : children(doc, kNoNode)) {
        if (i != root) j["processing_instructions"].push_back(node_json(doc, i));
    }
    j["root"] = root == kNoNode ? nlohmann::json(nullptr) : node_json(doc, root);
    return j;
}

}  // namespace eas::wbxml
