#include "wbxml_util.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "base64.hpp"
#include "wbxml_codepages.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_xml_writer.hpp"

namespace fakecas {

namespace wb = eas::wbxml;

Tag tag(std::string_view ns, std::string_view name) {
    const auto page = wb::page_by_namespace(ns);
    const auto token = page ? wb::token_by_name(*page, name) : std::nullopt;
    if (!page || !token) {
        std::cerr << "fake-cas: internal error: no WBXML tag " << ns << ":" << name << "\n";
        std::abort();
    }
    return {*page, *token};
}

bool is(const wb::Document& d, std::uint32_t node, Tag t) {
    if (node == wb::kNoNode) return false;
    const auto& n = d.node(node);
    return n.kind == wb::NodeKind::Element && !n.literal && n.page == t.page && n.token == t.token;
}

std::uint32_t child(const wb::Document& d, std::uint32_t parent, Tag t) {
    if (parent == wb::kNoNode) return wb::kNoNode;
    return wb::find_child(d, parent, t.page, t.token);
}

std::vector<std::uint32_t> children(const wb::Document& d, std::uint32_t parent, Tag t) {
    std::vector<std::uint32_t> out;
    if (parent == wb::kNoNode) return out;
    for (auto c : wb::children(d, parent)) {
        if (is(d, c, t)) out.push_back(c);
    }
    return out;
}

std::optional<std::string> child_text(const wb::Document& d, std::uint32_t parent, Tag t) {
    const auto c = child(d, parent, t);
    if (c == wb::kNoNode) return std::nullopt;
    return content_bytes(d, c);
}

std::string content_bytes(const wb::Document& d, std::uint32_t element) {
    std::string out;
    for (auto c : wb::children(d, element)) {
        const auto& n = d.node(c);
        if (n.kind == wb::NodeKind::Text || n.kind == wb::NodeKind::Opaque) out.append(d.data(n));
    }
    return out;
}

Xml::Xml(std::string_view root, std::string_view ns,
         std::initializer_list<std::string_view> prefixed) {
    out_ = "<";
    out_ += root;
    out_ += " xmlns=\"";
    out_ += ns;
    out_ += ":\"";
    for (auto p : prefixed) {
        // Prefix = lower-case namespace name ("airsyncbase" for AirSyncBase:).
        const auto page = wb::page_by_namespace(p);
        if (!page) {
            std::cerr << "fake-cas: internal error: no code page " << p << "\n";
            std::abort();
        }
        out_ += " xmlns:";
        out_ += p;
        out_ += "=\"";
        out_ += wb::page_name(*page);
        out_ += ":\"";
    }
    out_ += ">";
    open_.emplace_back(root);
}

Xml& Xml::open(std::string_view name) {
    out_ += "<";
    out_ += name;
    out_ += ">";
    open_.emplace_back(name);
    return *this;
}

Xml& Xml::close() {
    out_ += "</";
    out_ += open_.back();
    out_ += ">";
    open_.pop_back();
    return *this;
}

Xml& Xml::leaf(std::string_view name, std::string_view text) {
    out_ += "<";
    out_ += name;
    out_ += ">";
    wb::append_escaped(out_, text);
    out_ += "</";
    out_ += name;
    out_ += ">";
    return *this;
}

Xml& Xml::leaf(std::string_view name, std::uint64_t number) {
    return leaf(name, std::to_string(number));
}

Xml& Xml::empty(std::string_view name) {
    out_ += "<";
    out_ += name;
    out_ += "/>";
    return *this;
}

Xml& Xml::opaque(std::string_view name, std::string_view bytes) {
    out_ += "<";
    out_ += name;
    out_ += " opaque=\"base64\">";
    out_ += eas::base64_encode(bytes);
    out_ += "</";
    out_ += name;
    out_ += ">";
    return *this;
}

Xml& Xml::raw(std::string_view xml) {
    out_ += xml;
    return *this;
}

std::string Xml::finish() {
    while (!open_.empty()) close();
    return std::move(out_);
}

std::string to_wbxml(const std::string& xml) {
    auto r = wb::encode_xml(xml);
    if (!r.ok()) {
        throw std::logic_error("response XML does not encode: " + r.error->reason + " at byte " +
                               std::to_string(r.error->offset) + " of " + xml.substr(0, 200));
    }
    return std::move(r.bytes);
}

}  // namespace fakecas
