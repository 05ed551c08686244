// A decoded WBXML document as a flat, index-linked tree.
//
// Why flat: decoding a large Sync response must not cost one heap allocation per element.
// Nodes live in one vector and every string (text, opaque bytes, literal names) lives in one
// byte arena, so a whole document costs a handful of allocations and copies cheaply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace eas::wbxml {

inline constexpr std::uint32_t kNoNode = 0xFFFFFFFFu;

enum class NodeKind : std::uint8_t {
    Element,         // a tag: page/token, or a LITERAL name (literal == true)
    Text,            // STR_I, STR_T or ENTITY content, UTF-8 as sent
    Opaque,          // OPAQUE bytes, kept exact
    Extension,       // EXT_I_n (text), EXT_T_n (number), EXT_n (nothing); code = the global token
    Attribute,       // an attribute of its parent element or PI: page/token of its start token
    AttributeValue,  // an attribute value token (>= 0x80) inside an Attribute; token = the byte
    ProcessingInstruction,  // PI; its target and value are its Attribute child
};

struct Node {
    NodeKind kind = NodeKind::Element;
    std::uint8_t page = 0;   // code page (Element, Attribute, AttributeValue)
    std::uint8_t token = 0;  // token without flag bits; for Extension the global token byte
    bool literal = false;    // Element/Attribute named by a string (LITERAL*): name in data
    std::uint32_t parent = kNoNode;
    std::uint32_t first_child = kNoNode;
    std::uint32_t last_child = kNoNode;
    std::uint32_t next_sibling = kNoNode;
    std::uint32_t data_offset = 0;  // into Document::arena: text, opaque bytes, literal name
    std::uint32_t data_size = 0;
    std::uint32_t number = 0;         // Extension EXT_T_n value
    std::uint64_t source_offset = 0;  // byte offset of the node's token in the decoded input
};

struct Header {
    std::uint8_t version = 0x03;     // WBXML 1.3
    std::uint32_t public_id = 0x01;  // unknown / implied, as EAS sends
    std::uint32_t charset = 106;     // IANA MIBenum: 106 = UTF-8
};

// Error of a decoder: where it stopped and why. Decoders keep everything decoded before it.
struct DecodeError {
    std::uint64_t offset = 0;
    std::string reason;
};

class Document {
  public:
    Header header;

    // The first top-level node (normally the root element; a PI may precede it).
    std::uint32_t root() const { return root_; }
    // The top-level element, skipping processing instructions; kNoNode if none.
    std::uint32_t root_element() const;
    bool empty() const { return root_ == kNoNode; }
    const Node& node(std::uint32_t index) const { return nodes_[index]; }
    std::size_t node_count() const { return nodes_.size(); }

    std::string_view data(const Node& n) const {
        return std::string_view(arena_).substr(n.data_offset, n.data_size);
    }

    // Builders, used by the decoder, the XML reader and tests.
    std::uint32_t add_node(std::uint32_t parent, Node n);
    std::uint32_t add_element(std::uint32_t parent, std::uint8_t page, std::uint8_t token);
    std::uint32_t add_text(std::uint32_t parent, std::string_view text);
    std::uint32_t add_opaque(std::uint32_t parent, std::string_view bytes);
    // Stores bytes in the arena and returns (offset, size) for a node's data.
    std::pair<std::uint32_t, std::uint32_t> store(std::string_view bytes);
    // Copies the subtree at `index` of `from` under `parent` (kNoNode: top level) of this one.
    std::uint32_t copy_subtree(const Document& from, std::uint32_t index, std::uint32_t parent);
    // Appends to the data of the node if it is the last thing in the arena, else re-stores it.
    void append_data(std::uint32_t index, std::string_view bytes);

    void reserve(std::size_t nodes, std::size_t arena_bytes) {
        nodes_.reserve(nodes);
        arena_.reserve(arena_bytes);
    }

    // Structural equality: same kinds, pages, tokens, data, in the same order.
    // Ignores source offsets and how a text was spelled on the wire (STR_I, STR_T, ENTITY).
    friend bool operator==(const Document& a, const Document& b);

  private:
    std::vector<Node> nodes_;
    std::string arena_;
    std::uint32_t root_ = kNoNode;  // first top-level node; top-level nodes are siblings
    std::uint32_t last_top_ = kNoNode;
};

// Iterates the children of a node: for (auto c : children(doc, i)) ...
class ChildRange {
  public:
    class iterator {
      public:
        iterator(const Document* d, std::uint32_t i) : doc_(d), index_(i) {}
        std::uint32_t operator*() const { return index_; }
        iterator& operator++() {
            index_ = doc_->node(index_).next_sibling;
            return *this;
        }
        bool operator!=(const iterator& o) const { return index_ != o.index_; }

      private:
        const Document* doc_;
        std::uint32_t index_;
    };
    ChildRange(const Document& d, std::uint32_t parent) : doc_(&d), parent_(parent) {}
    // parent kNoNode iterates the top level: processing instructions and the root element.
    iterator begin() const {
        return {doc_, parent_ == kNoNode ? doc_->root() : doc_->node(parent_).first_child};
    }
    iterator end() const { return {doc_, kNoNode}; }

  private:
    const Document* doc_;
    std::uint32_t parent_;
};

inline ChildRange children(const Document& d, std::uint32_t parent) {
    return {d, parent};
}

// Concatenated text of an element's Text children (not descendants): "0" for <SyncKey>0</SyncKey>.
std::string text_of(const Document& d, std::uint32_t element);

// First child element with this page/token, or kNoNode.
std::uint32_t find_child(const Document& d, std::uint32_t parent, std::uint8_t page,
                         std::uint8_t token);

}  // namespace eas::wbxml
