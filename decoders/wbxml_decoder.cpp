#include "wbxml_decoder.hpp"

#include <string>
#include <vector>

#include "charset.hpp"
#include "mb_uint32.hpp"

namespace eas::wbxml {
namespace {

// Global tokens (WAP-192 section 7.1), valid on every code page.
enum : std::uint8_t {
    SWITCH_PAGE = 0x00,
    END = 0x01,
    ENTITY = 0x02,
    STR_I = 0x03,
    LITERAL = 0x04,
    EXT_I_0 = 0x40,
    EXT_I_2 = 0x42,
    PI = 0x43,
    LITERAL_C = 0x44,
    EXT_T_0 = 0x80,
    EXT_T_2 = 0x82,
    STR_T = 0x83,
    LITERAL_A = 0x84,
    EXT_0 = 0xC0,
    EXT_2 = 0xC2,
    OPAQUE = 0xC3,
    LITERAL_AC = 0xC4,
};

std::string hex_byte(std::uint8_t b) {
    static constexpr char digits[] = "0123456789ABCDEF";
    return std::string("0x") + digits[b >> 4] + digits[b & 0x0F];
}

// Thrown only inside this file to unwind the parse loop to decode(); never escapes it.
struct Stop {
    DecodeError error;
};

class Decoder {
  public:
    Decoder(std::string_view in, const DecodeLimits& limits, Document& doc)
        : in_(in), limits_(limits), doc_(doc) {}

    void run() {
        header();
        body();
    }

  private:
    std::string_view in_;
    const DecodeLimits& limits_;
    Document& doc_;
    std::size_t pos_ = 0;
    std::string_view strtab_;
    std::uint8_t tag_page_ = 0;
    std::uint8_t attr_page_ = 0;
    std::vector<std::uint32_t> open_;  // elements whose END has not been seen

    [[noreturn]] void fail(std::size_t offset, std::string reason) {
        throw Stop{DecodeError{offset, std::move(reason)}};
    }

    std::uint8_t byte(const char* what) {
        if (pos_ >= in_.size())
            fail(pos_, std::string("input ends where ") + what + " was expected");
        return static_cast<std::uint8_t>(in_[pos_++]);
    }

    std::uint32_t mb(const char* what) {
        const auto r = read_mb_uint32(in_, pos_);
        if (r.status != MbStatus::Ok) fail(pos_, std::string(what) + ": " + describe(r.status));
        pos_ += r.length;
        return r.value;
    }

    void header() {
        const std::uint8_t version = byte("the WBXML version");
        if (version > 0x03) {
            fail(0, "not WBXML: version byte " + hex_byte(version) + " (expected 0x00-0x03)");
        }
        doc_.header.version = version;
        const std::size_t pid_at = pos_;
        doc_.header.public_id = mb("public identifier");
        std::uint32_t pid_string = 0;
        if (doc_.header.public_id == 0) pid_string = mb("public identifier string index");
        // WBXML 1.0 has no charset field; it implies UTF-8.
        doc_.header.charset = version >= 0x01 ? mb("charset") : 106;
        const std::size_t len_at = pos_;
        const std::uint32_t strtab_len = mb("string table length");
        if (strtab_len > in_.size() - pos_) {
            fail(len_at, "string table of " + std::to_string(strtab_len) + " bytes exceeds the " +
                             std::to_string(in_.size() - pos_) + " bytes left");
        }
        strtab_ = in_.substr(pos_, strtab_len);
        pos_ += strtab_len;
        if (doc_.header.public_id == 0 && pid_string >= strtab_.size()) {
            fail(pid_at, "public identifier string index " + std::to_string(pid_string) +
                             " is outside the string table");
        }
        doc_.reserve(in_.size() / 4 + 8, in_.size());
    }

    std::string_view table_string(std::size_t token_at, std::uint32_t index) {
        if (index >= strtab_.size()) {
            fail(token_at, "string table reference " + std::to_string(index) +
                               " is outside the string table (" + std::to_string(strtab_.size()) +
                               " bytes)");
        }
        const auto rest = strtab_.substr(index);
        const auto nul = rest.find('\0');
        if (nul == std::string_view::npos) {
            fail(token_at,
                 "string table entry at " + std::to_string(index) + " has no terminating NUL");
        }
        return rest.substr(0, nul);
    }

    std::string_view inline_string(std::size_t token_at) {
        const auto nul = in_.find('\0', pos_);
        if (nul == std::string_view::npos) {
            fail(token_at, "inline string has no terminating NUL before the end of input (" +
                               std::to_string(in_.size()) + " bytes)");
        }
        const auto s = in_.substr(pos_, nul - pos_);
        pos_ = nul + 1;
        return s;
    }

    std::uint32_t add(std::uint32_t parent, Node n, std::size_t at) {
        if (doc_.node_count() >= limits_.max_nodes) {
            fail(at, "document has more than " + std::to_string(limits_.max_nodes) + " nodes");
        }
        n.source_offset = at;
        return doc_.add_node(parent, n);
    }

    // Text, merged into the previous node when that is text too (STR_I followed by ENTITY).
    void add_text(std::uint32_t parent, std::string_view text, std::size_t at) {
        if (text.empty()) return;  // an empty STR_I carries nothing; keep no empty nodes
        const std::uint32_t last = doc_.node(parent).last_child;
        if (last != kNoNode && doc_.node(last).kind == NodeKind::Text) {
            doc_.append_data(last, text);
            return;
        }
        Node n;
        n.kind = NodeKind::Text;
        std::tie(n.data_offset, n.data_size) = doc_.store(text);
        add(parent, n, at);
    }

    std::string entity(std::size_t at) {
        const std::uint32_t cp = mb("entity");
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            fail(at, "entity " + std::to_string(cp) + " is not a Unicode scalar value");
        }
        std::string s;
        append_utf8(s, static_cast<char32_t>(cp));
        return s;
    }

    // Shared by content and attribute values: string, entity, opaque and extension tokens.
    // Returns false if the byte is not one of them.
    bool value_token(std::uint8_t t, std::uint32_t parent, std::size_t at) {
        switch (t) {
            case STR_I:
                add_text(parent, inline_string(at), at);
                return true;
            case STR_T:
                add_text(parent, table_string(at, mb("string table reference")), at);
                return true;
            case ENTITY:
                add_text(parent, entity(at), at);
                return true;
            case OPAQUE: {
                const std::uint32_t len = mb("opaque length");
                if (len > in_.size() - pos_) {
                    fail(at, "opaque data of " + std::to_string(len) + " bytes exceeds the " +
                                 std::to_string(in_.size() - pos_) + " bytes left");
                }
                Node n;
                n.kind = NodeKind::Opaque;
                std::tie(n.data_offset, n.data_size) = doc_.store(in_.substr(pos_, len));
                pos_ += len;
                add(parent, n, at);
                return true;
            }
            default:
                break;
        }
        if ((t >= EXT_I_0 && t <= EXT_I_2) || (t >= EXT_T_0 && t <= EXT_T_2) ||
            (t >= EXT_0 && t <= EXT_2)) {
            Node n;
            n.kind = NodeKind::Extension;
            n.token = t;
            if (t <= EXT_I_2) {
                std::tie(n.data_offset, n.data_size) = doc_.store(inline_string(at));
            } else if (t <= EXT_T_2) {
                n.number = mb("extension value");
            }
            add(parent, n, at);
            return true;
        }
        return false;
    }

    // Attribute list after a tag with the 0x80 flag, or after PI; ends with END.
    void attributes(std::uint32_t owner) {
        std::uint32_t current = kNoNode;
        for (;;) {
            const std::size_t at = pos_;
            const std::uint8_t t = byte("an attribute or END");
            if (t == END) return;
            if (t == SWITCH_PAGE) {
                attr_page_ = byte("the attribute code page");
                continue;
            }
            if (t == LITERAL) {
                Node n;
                n.kind = NodeKind::Attribute;
                n.literal = true;
                std::tie(n.data_offset, n.data_size) =
                    doc_.store(table_string(at, mb("literal attribute name")));
                current = add(owner, n, at);
                continue;
            }
            if (current != kNoNode && value_token(t, current, at)) continue;
            if (t < 0x80 && !(t >= EXT_I_0 && t <= LITERAL_C) && t > LITERAL) {
                Node n;
                n.kind = NodeKind::Attribute;
                n.page = attr_page_;
                n.token = t;
                current = add(owner, n, at);
                continue;
            }
            if (t >= 0x80 && current != kNoNode && !(t >= EXT_T_0 && t <= LITERAL_A) &&
                !(t >= EXT_0 && t <= LITERAL_AC)) {
                Node n;
                n.kind = NodeKind::AttributeValue;
                n.page = attr_page_;
                n.token = t;
                add(current, n, at);
                continue;
            }
            fail(at, "unexpected byte " + hex_byte(t) + " in an attribute list");
        }
    }

    void processing_instruction(std::uint32_t parent, std::size_t at) {
        Node n;
        n.kind = NodeKind::ProcessingInstruction;
        attributes(add(parent, n, at));
    }

    void open_element(std::uint8_t t, std::size_t at) {
        const std::uint32_t parent = open_.empty() ? kNoNode : open_.back();
        Node n;
        n.kind = NodeKind::Element;
        if ((t & 0x3F) == LITERAL) {
            n.literal = true;
            std::tie(n.data_offset, n.data_size) =
                doc_.store(table_string(at, mb("literal tag name")));
        } else {
            n.page = tag_page_;
            n.token = t & 0x3F;
        }
        const std::uint32_t index = add(parent, n, at);
        if (t & 0x80) attributes(index);
        if (t & 0x40) {
            if (open_.size() >= limits_.max_depth) {
                fail(at, "elements nested deeper than " + std::to_string(limits_.max_depth));
            }
            open_.push_back(index);
        }
    }

    void body() {
        bool root_seen = false;
        for (;;) {
            const std::size_t at = pos_;
            if (pos_ >= in_.size()) {
                if (!open_.empty()) {
                    fail(at, "input ends with " + std::to_string(open_.size()) +
                                 " element(s) still open");
                }
                if (!root_seen) fail(at, "document has no root element");
                return;
            }
            const std::uint8_t t = static_cast<std::uint8_t>(in_[pos_++]);
            if (t == SWITCH_PAGE) {
                tag_page_ = byte("the code page");
                continue;
            }
            if (t == PI) {
                processing_instruction(open_.empty() ? kNoNode : open_.back(), at);
                continue;
            }
            if (open_.empty()) {
                // Outside the root only PIs may appear; the root is one element.
                if (root_seen)
                    fail(at, "unexpected byte " + hex_byte(t) + " after the root element");
                if (!is_tag(t)) fail(at, "expected the root element, found " + describe_token(t));
                root_seen = true;
                open_element(t, at);
                continue;
            }
            if (t == END) {
                open_.pop_back();
                continue;
            }
            if (value_token(t, open_.back(), at)) continue;
            if (is_tag(t)) {
                open_element(t, at);
                continue;
            }
            fail(at, "unexpected " + describe_token(t));
        }
    }

    static bool is_tag(std::uint8_t t) {
        const std::uint8_t low = t & 0x3F;
        return low >= 0x05 || low == LITERAL;
    }

    static std::string describe_token(std::uint8_t t) {
        switch (t) {
            case END:
                return "END (0x01)";
            case ENTITY:
                return "ENTITY (0x02)";
            case STR_I:
                return "STR_I (0x03)";
            case STR_T:
                return "STR_T (0x83)";
            case OPAQUE:
                return "OPAQUE (0xC3)";
            default:
                return "byte " + hex_byte(t);
        }
    }
};

}  // namespace

DecodeResult decode(std::string_view bytes, const DecodeLimits& limits) {
    DecodeResult result;
    Decoder decoder(bytes, limits, result.document);
    try {
        decoder.run();
    } catch (Stop& stop) {
        result.error = std::move(stop.error);
    }
    return result;
}

bool looks_like_wbxml(std::string_view bytes) {
    if (bytes.size() < 4) return false;
    const auto version = static_cast<std::uint8_t>(bytes[0]);
    if (version < 0x01 || version > 0x03) return false;
    const auto pid = read_mb_uint32(bytes, 1);
    if (pid.status != MbStatus::Ok) return false;
    const auto charset = read_mb_uint32(bytes, 1 + pid.length);
    // 106 UTF-8, 4 ISO-8859-1, 3 US-ASCII, 0 unknown: what real WBXML producers write.
    return charset.status == MbStatus::Ok &&
           (charset.value == 106 || charset.value == 4 || charset.value == 3 || charset.value == 0);
}

}  // namespace eas::wbxml
