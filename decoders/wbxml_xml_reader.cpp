#include "wbxml_xml_reader.hpp"

#include <expat.h>

#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "base64.hpp"
#include "wbxml_codepages.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::wbxml {
namespace {

constexpr char kSeparator = '|';  // expat joins "namespace|local"; '|' is in no NCName

struct Frame {
    std::uint32_t node = kNoNode;
    std::uint8_t page = 0;
    bool has_children = false;
    // How the element's character data is taken: as children (None), or as one payload.
    enum class Payload {
        None,
        Base64Opaque,
        Base64Text,
        PlainText,
        ExtString,
        ExtBase64
    } payload = Payload::None;
    std::string text;  // character data not yet attached
};

std::optional<std::uint32_t> parse_number(std::string_view s) {
    std::uint32_t v = 0;
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    }
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::optional<std::uint8_t> parse_byte(std::string_view s) {
    const auto v = parse_number(s);
    if (!v || *v > 0xFF) return std::nullopt;
    return static_cast<std::uint8_t>(*v);
}

// Attribute values start as default (null) views; expat hands present ones, even empty ones
// (a LITERAL may name the empty string), as views of real storage.
bool present(std::string_view s) {
    return s.data() != nullptr;
}

bool all_space(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

class Reader {
  public:
    Reader(std::string_view xml, const DecodeLimits& limits, XmlReadResult& result)
        : xml_(xml), limits_(limits), result_(result), doc_(result.document) {}

    void run() {
        parser_ = XML_ParserCreateNS("UTF-8", kSeparator);
        if (!parser_) {
            result_.error = DecodeError{0, "cannot create an XML parser (out of memory)"};
            return;
        }
        XML_SetUserData(parser_, this);
        XML_SetElementHandler(parser_, &Reader::on_start, &Reader::on_end);
        XML_SetCharacterDataHandler(parser_, &Reader::on_text);
        XML_SetProcessingInstructionHandler(parser_, &Reader::on_pi);
        XML_SetStartDoctypeDeclHandler(parser_, &Reader::on_doctype);
        const int len = xml_.size() > static_cast<std::size_t>(INT32_MAX)
                            ? INT32_MAX
                            : static_cast<int>(xml_.size());
        if (XML_Parse(parser_, xml_.data(), len, XML_TRUE) == XML_STATUS_ERROR && !result_.error) {
            result_.error =
                DecodeError{static_cast<std::uint64_t>(XML_GetCurrentByteIndex(parser_)),
                            std::string("XML not well-formed at line ") +
                                std::to_string(XML_GetCurrentLineNumber(parser_)) + ", column " +
                                std::to_string(XML_GetCurrentColumnNumber(parser_)) + ": " +
                                XML_ErrorString(XML_GetErrorCode(parser_))};
        }
        if (!result_.error && !fragment_ && doc_.root_element() == kNoNode) {
            result_.error = DecodeError{0, "no root element"};
        }
        XML_ParserFree(parser_);
    }

  private:
    std::string_view xml_;
    const DecodeLimits& limits_;
    XmlReadResult& result_;
    Document& doc_;
    XML_Parser parser_ = nullptr;
    std::vector<Frame> stack_;
    bool fragment_ = false;  // parsing the inside of <?wbxml-pi?>: no root element needed

    void fail(std::string reason) {
        if (result_.error) return;
        result_.error = DecodeError{
            static_cast<std::uint64_t>(XML_GetCurrentByteIndex(parser_)),
            "line " + std::to_string(XML_GetCurrentLineNumber(parser_)) + ": " + std::move(reason)};
        XML_StopParser(parser_, XML_FALSE);
    }

    std::uint32_t parent() const { return stack_.empty() ? kNoNode : stack_.back().node; }
    std::uint8_t current_page() const { return stack_.empty() ? 0 : stack_.back().page; }

    // Attaches pending character data of the innermost element as a Text node.
    void flush_text(bool keep_whitespace) {
        if (stack_.empty()) return;
        Frame& f = stack_.back();
        if (f.text.empty()) return;
        if (keep_whitespace || !all_space(f.text)) doc_.add_text(f.node, f.text);
        f.text.clear();
    }

    static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
        static_cast<Reader*>(self)->fail("a DOCTYPE is not accepted in EAS XML");
    }

    static void on_pi(void* self, const XML_Char* target, const XML_Char* data) {
        static_cast<Reader*>(self)->pi(target, data);
    }

    void pi(std::string_view target, std::string_view data) {
        if (target == "wbxml-pi") {
            top_level_pi(data);
            return;
        }
        if (target != "wbxml") return;  // other PIs are not ours
        // data: version="1.3" public-id="1" charset="106"
        auto attr = [&](std::string_view key) -> std::string_view {
            const std::string pattern = std::string(key) + "=\"";
            const auto at = data.find(pattern);
            if (at == std::string_view::npos) return {};
            const auto start = at + pattern.size();
            const auto end = data.find('"', start);
            return end == std::string_view::npos ? std::string_view{}
                                                 : data.substr(start, end - start);
        };
        if (auto v = attr("version"); !v.empty()) {
            const auto dot = v.find('.');
            const auto major = parse_number(v.substr(0, dot));
            const auto minor = dot == std::string_view::npos ? std::optional<std::uint32_t>(0)
                                                             : parse_number(v.substr(dot + 1));
            // The decoder reads WBXML 1.0-1.3 (version bytes 0x00-0x03); nothing else encodes.
            if (!major || !minor || *major != 1 || *minor > 3) {
                fail("wbxml version \"" + std::string(v) + "\" is not 1.0-1.3");
                return;
            }
            doc_.header.version = static_cast<std::uint8_t>(*minor);
        }
        if (auto v = attr("public-id"); !v.empty()) {
            if (auto n = parse_number(v))
                doc_.header.public_id = *n;
            else
                fail("wbxml public-id \"" + std::string(v) + "\" is not a number");
        }
        if (auto v = attr("charset"); !v.empty()) {
            if (auto n = parse_number(v))
                doc_.header.charset = *n;
            else
                fail("wbxml charset \"" + std::string(v) + "\" is not a number");
        }
    }

    // <?wbxml-pi <attribute .../>?> outside the root: a WBXML PI at the document's top level.
    void top_level_pi(std::string_view data) {
        if (!stack_.empty()) {
            fail(
                "<?wbxml-pi?> stands outside the root element; inside it, use <pi "
                "xmlns=\"WBXML:\">");
            return;
        }
        const std::string fragment = "<pi xmlns=\"WBXML:\">" + std::string(data) + "</pi>";
        XmlReadResult inner;
        Reader reader(fragment, limits_, inner);
        reader.fragment_ = true;
        reader.run();
        if (inner.error) {
            fail("in <?wbxml-pi?>: " + inner.error->reason);
            return;
        }
        doc_.copy_subtree(inner.document, inner.document.root(), kNoNode);
    }

    static void on_start(void* self, const XML_Char* name, const XML_Char** attrs) {
        static_cast<Reader*>(self)->start(name, attrs);
    }
    static void on_end(void* self, const XML_Char*) { static_cast<Reader*>(self)->end(); }
    static void on_text(void* self, const XML_Char* s, int len) {
        auto* r = static_cast<Reader*>(self);
        if (!r->stack_.empty()) r->stack_.back().text.append(s, static_cast<std::size_t>(len));
    }

    void start(std::string_view qname, const XML_Char** attrs) {
        if (result_.error) return;
        if (stack_.size() >= limits_.max_depth) {
            fail("elements nested deeper than " + std::to_string(limits_.max_depth));
            return;
        }
        if (doc_.node_count() >= limits_.max_nodes) {
            fail("document has more than " + std::to_string(limits_.max_nodes) + " nodes");
            return;
        }
        if (!stack_.empty()) {
            if (stack_.back().payload != Frame::Payload::None) {
                fail("element <" + std::string(qname.substr(qname.rfind(kSeparator) + 1)) +
                     "> inside an element whose content is base64 or text");
                return;
            }
            flush_text(false);
            stack_.back().has_children = true;
        } else if (doc_.root_element() != kNoNode) {
            fail("more than one root element");
            return;
        }
        std::string_view ns;
        std::string_view local = qname;
        if (const auto sep = qname.rfind(kSeparator); sep != std::string_view::npos) {
            ns = qname.substr(0, sep);
            local = qname.substr(sep + 1);
        }

        // Collect the attributes we understand.
        std::string_view opaque, encoding, a_name, a_page, a_token, a_code, a_value;
        std::string name_storage;
        for (int i = 0; attrs[i]; i += 2) {
            const std::string_view key = attrs[i];
            const std::string_view val = attrs[i + 1];
            if (key == "opaque")
                opaque = val;
            else if (key == "encoding")
                encoding = val;
            else if (key == "name")
                a_name = val;
            else if (key == "name-base64") {
                auto decoded = base64_decode(val);
                if (!decoded) {
                    fail("name-base64 on <" + std::string(qname) + "> is not base64");
                    return;
                }
                name_storage = std::move(*decoded);
                a_name = name_storage;
            } else if (key == "page")
                a_page = val;
            else if (key == "token")
                a_token = val;
            else if (key == "code")
                a_code = val;
            else if (key == "value")
                a_value = val;
            else {
                fail("attribute \"" + std::string(key) + "\" on <" + std::string(local) +
                     "> is not understood (EAS elements have no attributes)");
                return;
            }
        }

        Frame frame;
        frame.page = current_page();
        Node n;
        if (ns == kWbxmlNamespace) {
            if (!special(local, a_name, a_page, a_token, a_code, a_value, n, frame)) return;
        } else {
            if (present(a_name) || !a_page.empty() || !a_token.empty() || !a_code.empty() ||
                !a_value.empty()) {
                fail("attributes name/page/token/code/value belong to WBXML: elements only");
                return;
            }
            if (!resolve_tag(ns, local, n)) return;
            frame.page = n.page;
        }
        if (opaque == "base64") {
            frame.payload = Frame::Payload::Base64Opaque;
        } else if (!opaque.empty()) {
            fail("opaque=\"" + std::string(opaque) + "\": only base64 is supported");
            return;
        }
        if (encoding == "base64") {
            frame.payload = Frame::Payload::Base64Text;
        } else if (!encoding.empty()) {
            fail("encoding=\"" + std::string(encoding) + "\": only base64 is supported");
            return;
        }
        if (n.kind == NodeKind::Opaque && frame.payload == Frame::Payload::None) {
            frame.payload = Frame::Payload::Base64Opaque;
        }
        if (n.kind == NodeKind::Extension && n.token <= 0x42) {
            // EXT_I's string is the node's own data, in plain text or (not valid XML) base64.
            frame.payload = frame.payload == Frame::Payload::Base64Text ? Frame::Payload::ExtBase64
                                                                        : Frame::Payload::ExtString;
        }

        if (n.kind == NodeKind::Opaque || n.kind == NodeKind::Text) {
            if (stack_.empty()) {
                fail("<" + std::string(local) + "> must be inside an element");
                return;
            }
            // The WBXML:opaque / WBXML:text element becomes a node of its parent at end().
            frame.node = kPayloadMarker;
            stack_.push_back(std::move(frame));
            return;
        }
        frame.node = doc_.add_node(parent(), n);
        stack_.push_back(std::move(frame));
    }

    // Frame node of a WBXML:opaque or WBXML:text element, which stands for a node of its parent.
    static constexpr std::uint32_t kPayloadMarker = kNoNode - 1;

    bool special(std::string_view local, std::string_view a_name, std::string_view a_page,
                 std::string_view a_token, std::string_view a_code, std::string_view a_value,
                 Node& n, Frame& frame) {
        auto page_token = [&](bool need_token) {
            if (present(a_name)) {
                n.literal = true;
                std::tie(n.data_offset, n.data_size) = doc_.store(a_name);
                return true;
            }
            const auto p = a_page.empty() ? std::optional<std::uint8_t>(0) : parse_byte(a_page);
            const auto t = parse_byte(a_token);
            if (!p || (need_token && !t)) {
                fail("<" + std::string(local) +
                     "> needs page=\"N\" token=\"0xNN\" or name=\"...\"");
                return false;
            }
            n.page = *p;
            n.token = t ? *t : 0;
            return true;
        };
        if (local == "literal") {
            n.kind = NodeKind::Element;
            if (!present(a_name)) {
                fail("<literal> needs a name attribute");
                return false;
            }
            return page_token(false);
        }
        if (local == "attribute") {
            n.kind = NodeKind::Attribute;
            return page_token(true);
        }
        if (local == "value") {
            n.kind = NodeKind::AttributeValue;
            return page_token(true);
        }
        if (local == "pi") {
            n.kind = NodeKind::ProcessingInstruction;
            return true;
        }
        if (local == "ext") {
            const auto code = parse_byte(a_code);
            const bool valid =
                code && ((*code >= 0x40 && *code <= 0x42) || (*code >= 0x80 && *code <= 0x82) ||
                         (*code >= 0xC0 && *code <= 0xC2));
            if (!valid) {
                fail("<ext> needs code=\"0x40\"-\"0x42\", \"0x80\"-\"0x82\" or \"0xC0\"-\"0xC2\"");
                return false;
            }
            n.kind = NodeKind::Extension;
            n.token = *code;
            if (*code >= 0x80 && *code <= 0x82) {
                const auto v = parse_number(a_value);
                if (!v) {
                    fail("<ext code=\"" + std::string(a_code) +
                         "\"> needs a numeric value attribute");
                    return false;
                }
                n.number = *v;
            }
            return true;
        }
        if (local == "opaque") {
            n.kind = NodeKind::Opaque;
            frame.payload = Frame::Payload::Base64Opaque;
            return true;
        }
        if (local == "text") {
            n.kind = NodeKind::Text;
            frame.payload = Frame::Payload::PlainText;  // encoding="base64" overrides this
            return true;
        }
        fail("<" + std::string(local) + "> is not an element of the WBXML: namespace");
        return false;
    }

    bool resolve_tag(std::string_view ns, std::string_view local, Node& n) {
        n.kind = NodeKind::Element;
        std::optional<std::uint8_t> page;
        if (ns.empty()) {
            page = current_page();
        } else if (ns.starts_with("CodePage")) {
            auto digits = ns.substr(8);
            if (!digits.empty() && digits.back() == ':') digits.remove_suffix(1);
            page = parse_byte(digits);
        } else {
            page = page_by_namespace(ns);
        }
        if (!page) {
            fail("namespace \"" + std::string(ns) + "\" of <" + std::string(local) +
                 "> is not an ActiveSync code page");
            return false;
        }
        if (local.starts_with("Token0x") || local.starts_with("Token0X")) {
            const auto t = parse_byte(local.substr(5));
            if (!t || *t < 0x05 || *t > 0x3F) {
                fail("<" + std::string(local) + ">: tokens run from 0x05 to 0x3F");
                return false;
            }
            n.page = *page;
            n.token = *t;
            return true;
        }
        if (auto t = token_by_name(*page, local)) {
            n.page = *page;
            n.token = *t;
            return true;
        }
        if (ns.empty()) {
            // No namespace at all: take the name from any page where it is unique.
            std::optional<std::uint8_t> found_page, found_token;
            int matches = 0;
            for (std::uint8_t p = 0; p < kPageCount; ++p) {
                if (auto t = token_by_name(p, local)) {
                    ++matches;
                    found_page = p;
                    found_token = t;
                }
            }
            if (matches == 1) {
                n.page = *found_page;
                n.token = *found_token;
                return true;
            }
            fail("<" + std::string(local) + "> has no namespace and is " +
                 (matches == 0 ? "not an ActiveSync element" : "defined on several code pages") +
                 ": add xmlns=\"<CodePage>:\"");
            return false;
        }
        fail("<" + std::string(local) + "> is not defined in namespace \"" + std::string(ns) +
             "\"");
        return false;
    }

    void end() {
        if (result_.error || stack_.empty()) return;
        Frame f = std::move(stack_.back());
        stack_.pop_back();
        const bool marker = f.node == kPayloadMarker;
        const std::uint32_t owner = marker ? parent() : f.node;
        const bool base64 = f.payload == Frame::Payload::Base64Opaque ||
                            f.payload == Frame::Payload::Base64Text ||
                            f.payload == Frame::Payload::ExtBase64;
        if (base64) {
            Base64Error e;
            auto bytes = base64_decode(f.text, &e);
            if (!bytes) {
                fail("base64 content: " + e.reason);
                return;
            }
            f.text = std::move(*bytes);
        }
        switch (f.payload) {
            case Frame::Payload::Base64Opaque:
                doc_.add_opaque(owner, f.text);
                return;
            case Frame::Payload::Base64Text:
            case Frame::Payload::PlainText:
                if (!f.text.empty()) doc_.add_text(owner, f.text);
                return;
            case Frame::Payload::ExtString:
            case Frame::Payload::ExtBase64:
                // EXT_I nodes are created without data; their string arrives with the end tag.
                doc_.append_data(owner, f.text);
                return;
            case Frame::Payload::None:
                break;
        }
        // A leaf keeps its text exactly, whitespace included; indentation around children goes.
        if (!f.text.empty() && (!f.has_children || !all_space(f.text)))
            doc_.add_text(f.node, f.text);
    }
};

}  // namespace

XmlReadResult read_xml(std::string_view xml, const DecodeLimits& limits) {
    XmlReadResult result;
    Reader(xml, limits, result).run();
    return result;
}

}  // namespace eas::wbxml
