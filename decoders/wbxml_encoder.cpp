#include "wbxml_encoder.hpp"

#include <map>
#include <vector>

#include "mb_uint32.hpp"
#include "wbxml_xml_reader.hpp"

namespace eas::wbxml {
namespace {

class Encoder {
  public:
    explicit Encoder(const Document& doc) : doc_(doc) {}

    EncodeResult run() {
        EncodeResult result;
        collect_literals();
        std::string& out = result.bytes;
        out.reserve(doc_.node_count() * 8 + 64);
        out.push_back(static_cast<char>(doc_.header.version));
        write_mb_uint32(out, doc_.header.public_id);
        if (doc_.header.public_id == 0) write_mb_uint32(out, 0);  // index of an empty string
        if (doc_.header.version >= 0x01) write_mb_uint32(out, doc_.header.charset);
        write_mb_uint32(out, static_cast<std::uint32_t>(strtab_.size()));
        out += strtab_;
        bool root_seen = false;
        for (auto i : children(doc_, kNoNode)) {
            const Node& n = doc_.node(i);
            if (n.kind == NodeKind::Element && !root_seen) {
                root_seen = true;
            } else if (n.kind != NodeKind::ProcessingInstruction) {
                result.error = DecodeError{
                    i,
                    "only one root element and processing instructions may stand at the top level"};
                return result;
            }
            if (!node(out, i)) {
                result.error = error_;
                return result;
            }
        }
        if (!root_seen) result.error = DecodeError{0, "document has no root element"};
        return result;
    }

  private:
    const Document& doc_;
    std::string strtab_;
    std::map<std::string, std::uint32_t, std::less<>> literal_index_;
    std::uint8_t tag_page_ = 0;
    std::uint8_t attr_page_ = 0;
    DecodeError error_;

    void collect_literals() {
        // A public id of 0 refers to a string: keep an empty one at index 0 for it.
        if (doc_.header.public_id == 0) strtab_.push_back('\0');
        for (std::uint32_t i = 0; i < doc_.node_count(); ++i) {
            const Node& n = doc_.node(i);
            if (!n.literal) continue;
            const std::string_view name = doc_.data(n);
            if (literal_index_.find(name) != literal_index_.end()) continue;
            literal_index_.emplace(std::string(name), static_cast<std::uint32_t>(strtab_.size()));
            strtab_.append(name);
            strtab_.push_back('\0');
        }
    }

    bool fail(std::uint32_t i, std::string reason) {
        error_ = DecodeError{i, std::move(reason)};
        return false;
    }

    void tag_page(std::string& out, std::uint8_t page) {
        if (page == tag_page_) return;
        out.push_back(0x00);
        out.push_back(static_cast<char>(page));
        tag_page_ = page;
    }

    void attr_page(std::string& out, std::uint8_t page) {
        if (page == attr_page_) return;
        out.push_back(0x00);
        out.push_back(static_cast<char>(page));
        attr_page_ = page;
    }

    // Text may hold NUL (from an ENTITY 0); STR_I cannot, so NULs go out as ENTITY.
    static void text(std::string& out, std::string_view s) {
        std::size_t start = 0;
        for (;;) {
            const auto nul = s.find('\0', start);
            const auto piece =
                s.substr(start, nul == std::string_view::npos ? s.npos : nul - start);
            if (!piece.empty() || nul == std::string_view::npos) {
                out.push_back(0x03);
                out.append(piece);
                out.push_back('\0');
            }
            if (nul == std::string_view::npos) return;
            out.push_back(0x02);  // ENTITY U+0000
            out.push_back(0x00);
            start = nul + 1;
        }
    }

    bool value(std::string& out, std::uint32_t i) {
        const Node& n = doc_.node(i);
        switch (n.kind) {
            case NodeKind::Text:
                text(out, doc_.data(n));
                return true;
            case NodeKind::Opaque:
                out.push_back(static_cast<char>(0xC3));
                write_mb_uint32(out, n.data_size);
                out.append(doc_.data(n));
                return true;
            case NodeKind::Extension:
                out.push_back(static_cast<char>(n.token));
                if (n.token >= 0x40 && n.token <= 0x42) {
                    out.append(doc_.data(n));
                    out.push_back('\0');
                } else if (n.token >= 0x80 && n.token <= 0x82) {
                    write_mb_uint32(out, n.number);
                }
                return true;
            default:
                return false;
        }
    }

    bool attributes(std::string& out, std::uint32_t owner) {
        for (auto a : children(doc_, owner)) {
            const Node& attr = doc_.node(a);
            if (attr.kind != NodeKind::Attribute) continue;
            if (attr.literal) {
                out.push_back(0x04);
                write_mb_uint32(out, literal_index_.find(doc_.data(attr))->second);
            } else {
                if (attr.token < 0x05 || attr.token >= 0x80 ||
                    (attr.token >= 0x40 && attr.token <= 0x44))
                    return fail(a, "attribute start token " + std::to_string(attr.token) +
                                       " is not 0x05-0x7F");
                attr_page(out, attr.page);
                out.push_back(static_cast<char>(attr.token));
            }
            for (auto v : children(doc_, a)) {
                const Node& part = doc_.node(v);
                if (part.kind == NodeKind::AttributeValue) {
                    if (part.token < 0x85 || (part.token >= 0xC0 && part.token <= 0xC4))
                        return fail(v, "attribute value token is not 0x85-0xBF or 0xC5-0xFF");
                    attr_page(out, part.page);
                    out.push_back(static_cast<char>(part.token));
                } else if (!value(out, v)) {
                    return fail(
                        v,
                        "an attribute value holds text, opaque data, extensions or value tokens");
                }
            }
        }
        out.push_back(0x01);
        return true;
    }

    bool node(std::string& out, std::uint32_t i) {
        const Node& n = doc_.node(i);
        if (n.kind == NodeKind::ProcessingInstruction) {
            out.push_back(0x43);
            return attributes(out, i);
        }
        if (n.kind != NodeKind::Element)
            return value(out, i) || fail(i, "attribute outside an element");
        bool has_attrs = false, has_content = false;
        for (auto c : children(doc_, i)) {
            (doc_.node(c).kind == NodeKind::Attribute ? has_attrs : has_content) = true;
        }
        std::uint8_t tag;
        if (n.literal) {
            tag = 0x04;
        } else {
            if (n.token < 0x05 || n.token > 0x3F) return fail(i, "tag token outside 0x05-0x3F");
            tag_page(out, n.page);
            tag = n.token;
        }
        if (has_content) tag |= 0x40;
        if (has_attrs) tag |= 0x80;
        out.push_back(static_cast<char>(tag));
        if (n.literal) write_mb_uint32(out, literal_index_.find(doc_.data(n))->second);
        if (has_attrs && !attributes(out, i)) return false;
        if (!has_content) return true;
        for (auto c : children(doc_, i)) {
            if (doc_.node(c).kind == NodeKind::Attribute) continue;
            if (!node(out, c)) return false;
        }
        out.push_back(0x01);
        return true;
    }
};

}  // namespace

EncodeResult encode(const Document& doc) {
    return Encoder(doc).run();
}

EncodeResult encode_xml(std::string_view xml) {
    auto parsed = read_xml(xml);
    if (!parsed.ok()) {
        EncodeResult r;
        r.error = parsed.error;
        return r;
    }
    return encode(parsed.document);
}

}  // namespace eas::wbxml
