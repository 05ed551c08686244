#include "wbxml_document.hpp"

namespace eas::wbxml {

std::uint32_t Document::add_node(std::uint32_t parent, Node n) {
    const auto index = static_cast<std::uint32_t>(nodes_.size());
    n.parent = parent;
    n.first_child = n.last_child = n.next_sibling = kNoNode;
    nodes_.push_back(n);
    if (parent == kNoNode) {
        if (root_ == kNoNode) {
            root_ = index;
        } else {
            nodes_[last_top_].next_sibling = index;
        }
        last_top_ = index;
    } else {
        Node& p = nodes_[parent];
        if (p.first_child == kNoNode) {
            p.first_child = index;
        } else {
            nodes_[p.last_child].next_sibling = index;
        }
        p.last_child = index;
    }
    return index;
}

std::uint32_t Document::add_element(std::uint32_t parent, std::uint8_t page, std::uint8_t token) {
    Node n;
    n.kind = NodeKind::Element;
    n.page = page;
    n.token = token;
    return add_node(parent, n);
}

std::uint32_t Document::add_text(std::uint32_t parent, std::string_view text) {
    Node n;
    n.kind = NodeKind::Text;
    std::tie(n.data_offset, n.data_size) = store(text);
    return add_node(parent, n);
}

std::uint32_t Document::add_opaque(std::uint32_t parent, std::string_view bytes) {
    Node n;
    n.kind = NodeKind::Opaque;
    std::tie(n.data_offset, n.data_size) = store(bytes);
    return add_node(parent, n);
}

std::pair<std::uint32_t, std::uint32_t> Document::store(std::string_view bytes) {
    // Offsets are 32-bit: a document is bounded far below 4 GiB by the decoders' size limits.
    const auto offset = static_cast<std::uint32_t>(arena_.size());
    arena_.append(bytes);
    return {offset, static_cast<std::uint32_t>(bytes.size())};
}

std::uint32_t Document::copy_subtree(const Document& from, std::uint32_t index,
                                     std::uint32_t parent) {
    Node n = from.node(index);
    std::tie(n.data_offset, n.data_size) = store(from.data(from.node(index)));
    const std::uint32_t copy = add_node(parent, n);
    // Depth is bounded by the decoders' limits, so recursion here is bounded too.
    for (auto c : children(from, index)) copy_subtree(from, c, copy);
    return copy;
}

void Document::append_data(std::uint32_t index, std::string_view bytes) {
    Node& n = nodes_[index];
    if (n.data_offset + n.data_size == arena_.size()) {
        arena_.append(bytes);
        n.data_size += static_cast<std::uint32_t>(bytes.size());
        return;
    }
    std::string joined(data(n));
    joined.append(bytes);
    std::tie(n.data_offset, n.data_size) = store(joined);
}

std::uint32_t Document::root_element() const {
    for (auto i : children(*this, kNoNode)) {
        if (nodes_[i].kind == NodeKind::Element) return i;
    }
    return kNoNode;
}

namespace {

bool same_subtree(const Document& a, std::uint32_t ia, const Document& b, std::uint32_t ib) {
    // Iterative walk over both trees in lockstep; depth is bounded by the decoders anyway,
    // but equality must not recurse on hostile documents either.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> stack{{ia, ib}};
    while (!stack.empty()) {
        auto [x, y] = stack.back();
        stack.pop_back();
        while (x != kNoNode && y != kNoNode) {
            const Node& nx = a.node(x);
            const Node& ny = b.node(y);
            if (nx.kind != ny.kind || nx.literal != ny.literal || nx.number != ny.number)
                return false;
            const bool tagged = nx.kind == NodeKind::Element || nx.kind == NodeKind::Attribute ||
                                nx.kind == NodeKind::AttributeValue ||
                                nx.kind == NodeKind::Extension;
            if (tagged && !nx.literal && (nx.page != ny.page || nx.token != ny.token)) return false;
            if (a.data(nx) != b.data(ny)) return false;
            stack.emplace_back(nx.first_child, ny.first_child);
            x = nx.next_sibling;
            y = ny.next_sibling;
        }
        if (x != y) return false;  // one side has more siblings
    }
    return true;
}

}  // namespace

bool operator==(const Document& a, const Document& b) {
    return a.header.version == b.header.version && a.header.public_id == b.header.public_id &&
           a.header.charset == b.header.charset && same_subtree(a, a.root_, b, b.root_);
}

std::string text_of(const Document& d, std::uint32_t element) {
    std::string out;
    for (auto c : children(d, element)) {
        if (d.node(c).kind == NodeKind::Text) out.append(d.data(d.node(c)));
    }
    return out;
}

std::uint32_t find_child(const Document& d, std::uint32_t parent, std::uint8_t page,
                         std::uint8_t token) {
    for (auto c : children(d, parent)) {
        const Node& n = d.node(c);
        if (n.kind == NodeKind::Element && !n.literal && n.page == page && n.token == token)
            return c;
    }
    return kNoNode;
}

}  // namespace eas::wbxml
