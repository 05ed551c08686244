#include "wbxml_xml_writer.hpp"

#include <array>
#include <cstdio>

#include "base64.hpp"
#include "status_words.hpp"
#include "wbxml_codepages.hpp"

namespace eas::wbxml {
namespace {

std::string hex_token(std::uint8_t t) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", t);
    return buf;
}

class XmlWriter {
  public:
    XmlWriter(const Document& doc, std::string& out, const XmlWriteOptions& options)
        : doc_(doc), out_(out), options_(options) {}

    void write() {
        if (options_.declaration) out_ += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
        const Header& h = doc_.header;
        if (h.version != 0x03 || h.public_id != 0x01 || h.charset != 106) {
            // Only written when the header is not the one EAS always sends, so it round-trips.
            out_ += "<?wbxml version=\"" + std::to_string((h.version >> 4) + 1) + "." +
                    std::to_string(h.version & 0x0F) + "\" public-id=\"" +
                    std::to_string(h.public_id) + "\" charset=\"" + std::to_string(h.charset) +
                    "\"?>\n";
        }
        for (auto i : children(doc_, kNoNode)) {
            const Node& n = doc_.node(i);
            if (n.kind == NodeKind::Element) {
                element(i, 0, {});
            } else {
                top_level_pi(i);
            }
            if (options_.indent) out_ += '\n';
        }
    }

  private:
    const Document& doc_;
    std::string& out_;
    const XmlWriteOptions& options_;

    void newline_indent(int depth) {
        if (!options_.indent) return;
        out_ += '\n';
        out_.append(static_cast<std::size_t>(depth) * 2, ' ');
    }

    // Opens <name xmlns="ns" ...> leaving the tag open for attributes.
    void open_tag(std::string_view name, std::string_view ns, std::string_view parent_ns) {
        out_ += '<';
        out_ += name;
        if (ns != parent_ns) {
            out_ += " xmlns=\"";
            out_ += ns;
            out_ += '"';
        }
    }

    static bool mixed(const Document& d, std::uint32_t i) {
        for (auto c : children(d, i)) {
            if (d.node(c).kind == NodeKind::Text) return true;
        }
        return false;
    }

    // Name and namespace of a node without allocating for the tokens the code pages define.
    struct Label {
        std::string_view name, ns;
        std::string storage_name, storage_ns;  // only for unknown pages/tokens
    };

    static void label(const Node& n, Label& l) {
        l.ns = kWbxmlNamespace;
        switch (n.kind) {
            case NodeKind::Element:
                if (n.literal) {
                    l.name = "literal";
                    return;
                }
                l.name = tag_name(n.page, n.token);
                l.ns = page_namespace(n.page);
                if (l.name.empty()) l.name = l.storage_name = element_name(n.page, n.token);
                if (l.ns.empty()) l.ns = l.storage_ns = element_namespace(n.page);
                return;
            case NodeKind::Attribute:
                l.name = "attribute";
                return;
            case NodeKind::AttributeValue:
                l.name = "value";
                return;
            case NodeKind::ProcessingInstruction:
                l.name = "pi";
                return;
            case NodeKind::Extension:
                l.name = "ext";
                return;
            case NodeKind::Opaque:
                l.name = "opaque";
                return;
            case NodeKind::Text:
                l.name = "text";
                return;
        }
    }

    void element(std::uint32_t i, int depth, std::string_view parent_ns) {
        const Node& n = doc_.node(i);
        Label l;
        label(n, l);
        const std::string_view name = l.name;
        const std::string_view ns = l.ns;
        open_tag(name, ns, parent_ns);
        if (n.literal) {
            // A name from the string table may be any bytes; those XML cannot hold go as base64.
            const auto literal = doc_.data(n);
            if (is_xml_safe_text(literal)) {
                out_ += " name=\"";
                append_escaped(out_, literal, true);
            } else {
                out_ += " name-base64=\"";
                out_ += base64_encode(literal);
            }
            out_ += '"';
        }
        if (n.kind == NodeKind::Attribute || n.kind == NodeKind::AttributeValue) {
            if (!n.literal)
                out_ +=
                    " page=\"" + std::to_string(n.page) + "\" token=\"" + hex_token(n.token) + '"';
        }
        if (n.kind == NodeKind::Extension) {
            out_ += " code=\"" + hex_token(n.token) + '"';
            if (n.token >= 0x80 && n.token <= 0x82)
                out_ += " value=\"" + std::to_string(n.number) + '"';
        }
        // Text, opaque and EXT_I nodes standing among other children carry their own payload.
        const bool own_payload = n.kind == NodeKind::Opaque || n.kind == NodeKind::Text ||
                                 (n.kind == NodeKind::Extension && n.token <= 0x42);
        if (own_payload) {
            payload(n);
            close(name);
            return;
        }
        if (n.first_child == kNoNode) {
            out_ += "/>";
            return;
        }
        const Node& only = doc_.node(n.first_child);
        if (only.next_sibling == kNoNode &&
            (only.kind == NodeKind::Text || only.kind == NodeKind::Opaque)) {
            payload(only);
            close(name);
            if (options_.annotate_status && only.kind == NodeKind::Text)
                annotate_status(n, doc_.data(only));
            return;
        }
        out_ += '>';
        // Indenting inside mixed content would change the text, so write it inline.
        const bool inline_children = mixed(doc_, i);
        for (auto c : children(doc_, i)) {
            const Node& child = doc_.node(c);
            if (!inline_children) newline_indent(depth + 1);
            // Whitespace-only text between elements would read back as indentation: mark it.
            const auto data = doc_.data(child);
            if (child.kind == NodeKind::Text && is_xml_safe_text(data) &&
                data.find_first_not_of(" \t\r\n") != std::string_view::npos) {
                append_escaped(out_, data);
            } else {
                element(c, depth + 1, ns);
            }
        }
        if (!inline_children) newline_indent(depth);
        close(name);
    }

    // <!-- meaning --> after a Status element of a command (not Email's flag Status, nor the
    // long-dead AirNotify page), in the context of the document's command and the parent.
    void annotate_status(const Node& n, std::string_view text) {
        if (n.literal || n.page == 2 || n.page == 3 || tag_name(n.page, n.token) != "Status")
            return;
        int value = 0;
        if (text.empty() || text.size() > 4) return;
        for (char c : text) {
            if (c < '0' || c > '9') return;
            value = value * 10 + (c - '0');
        }
        const auto root = doc_.root_element();
        const std::string_view command = tag_name(doc_.node(root).page, doc_.node(root).token);
        const std::string_view parent =
            n.parent == kNoNode ? std::string_view{}
                                : tag_name(doc_.node(n.parent).page, doc_.node(n.parent).token);
        // Provision acknowledgements (Policy/RemoteWipe Status from the device) use other words.
        const bool ack_context = command == "Provision" && parent != "Provision";
        if (ack_context && options_.sender == XmlWriteOptions::Sender::Unknown) return;
        StatusContext context{command, parent, options_.sender == XmlWriteOptions::Sender::Client};
        const auto words = eas_status_name(context, value);
        if (words.empty()) return;
        out_ += "<!-- ";
        // "--" may not appear in a comment.
        for (std::size_t i = 0; i < words.size(); ++i) {
            out_ += words[i];
            if (words[i] == '-' && i + 1 < words.size() && words[i + 1] == '-') out_ += ' ';
        }
        out_ += " -->";
    }

    // Writes "...>content" for a Text/Opaque/EXT_I node whose tag is still open.
    void payload(const Node& n) {
        const std::string_view data = doc_.data(n);
        if (n.kind == NodeKind::Opaque) {
            out_ += " opaque=\"base64\">";
            out_ += base64_encode(data);
        } else if (is_xml_safe_text(data)) {
            out_ += '>';
            append_escaped(out_, data);
        } else {
            out_ += " encoding=\"base64\">";
            out_ += base64_encode(data);
        }
    }

    void close(std::string_view name) {
        out_ += "</";
        out_ += name;
        out_ += '>';
    }

    void top_level_pi(std::uint32_t i) {
        // XML allows one root element, so a WBXML PI outside it becomes an XML PI holding the
        // same elements as a PI inside the body would ("?>" cannot occur in them).
        out_ += "<?wbxml-pi ";
        for (auto a : children(doc_, i)) element(a, 0, kWbxmlNamespace);
        out_ += "?>";
    }
};

}  // namespace

std::string element_namespace(std::uint8_t page) {
    const auto ns = page_namespace(page);
    return ns.empty() ? "CodePage" + std::to_string(page) + ":" : std::string(ns);
}

std::string element_name(std::uint8_t page, std::uint8_t token) {
    const auto name = tag_name(page, token);
    return name.empty() ? "Token" + hex_token(token) : std::string(name);
}

bool is_xml_safe_text(std::string_view s) {
    // Valid UTF-8 of XML 1.0 Chars only: no C0 controls but TAB/LF/CR, no surrogates,
    // no U+FFFE/U+FFFF, no overlong forms.
    std::size_t i = 0;
    while (i < s.size()) {
        // Fast path: printable ASCII, the bulk of EAS text.
        while (i < s.size() && static_cast<unsigned char>(s[i]) - 0x20u < 0x60u) ++i;
        if (i == s.size()) break;
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D) return false;
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
            cp == 0xFFFF)
            return false;
        i += len;
    }
    return true;
}

namespace {
// Bytes that need a reference in character data (1) and additionally in attributes (2).
constexpr auto kEscapeClass = [] {
    std::array<std::uint8_t, 256> t{};
    t['&'] = t['<'] = t['>'] = t['\r'] = 1;
    t['"'] = t['\t'] = t['\n'] = 2;
    return t;
}();
}  // namespace

void append_escaped(std::string& out, std::string_view text, bool in_attribute) {
    const std::uint8_t limit = in_attribute ? 2 : 1;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const std::uint8_t cls = kEscapeClass[static_cast<unsigned char>(text[i])];
        if (cls == 0 || cls > limit) continue;
        out.append(text.data() + start, i - start);
        switch (text[i]) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '\r':
                out += "&#13;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\t':
                out += "&#9;";
                break;
            case '\n':
                out += "&#10;";
                break;
            default:
                break;
        }
        start = i + 1;
    }
    out.append(text.data() + start, text.size() - start);
}

void write_xml(const Document& doc, std::string& out, const XmlWriteOptions& options) {
    XmlWriter(doc, out, options).write();
}

std::string to_xml(const Document& doc, const XmlWriteOptions& options) {
    std::string out;
    out.reserve(doc.node_count() * 24 + 64);
    write_xml(doc, out, options);
    return out;
}

}  // namespace eas::wbxml
