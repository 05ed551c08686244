#include "eas_responses.hpp"

#include <charconv>

#include "body_decoder.hpp"
#include "wbxml_codepages.hpp"
#include "wbxml_decoder.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::device {
namespace {

using wbxml::kNoNode;

std::uint32_t le32(std::string_view b, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}

bool is_multipart_type(std::string_view type) {
    return type.find("vnd.ms-sync.multipart") != std::string_view::npos;
}

// A multipart body longer than the decode limit: the part table and part 0 (the WBXML
// response) come first, so the kept prefix is enough to read them. Returns part 0 when the
// prefix holds it whole.
std::optional<std::string_view> multipart_prefix(std::string_view prefix, DecodedResponse& out) {
    if (prefix.size() < 4) return std::nullopt;
    const std::uint64_t count = le32(prefix, 0);
    if (count == 0 || 4 + 8 * count > prefix.size()) return std::nullopt;
    std::optional<std::string_view> part0;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint32_t offset = le32(prefix, static_cast<std::size_t>(4 + 8 * i));
        const std::uint32_t length = le32(prefix, static_cast<std::size_t>(8 + 8 * i));
        out.part_sizes.push_back(length);
        if (i == 0 && std::uint64_t{offset} + length <= prefix.size())
            part0 = prefix.substr(offset, length);
    }
    return part0;
}

void find_status(DecodedResponse& out) {
    const auto& d = out.doc;
    const std::uint32_t root = d.root_element();
    if (root == kNoNode) return;
    std::uint32_t status = child(d, root, "Status");
    if (status == kNoNode) {
        // Depth-first: Sync carries its Status in Collections/Collection.
        std::vector<std::uint32_t> stack{root};
        while (!stack.empty() && status == kNoNode) {
            const std::uint32_t n = stack.back();
            stack.pop_back();
            std::vector<std::uint32_t> kids;
            for (auto c : wbxml::children(d, n)) {
                if (d.node(c).kind != wbxml::NodeKind::Element) continue;
                if (element_name(d, c) == "Status") {
                    status = c;
                    break;
                }
                kids.push_back(c);
            }
            for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back(*it);
        }
    }
    if (status == kNoNode) return;
    const std::string text = wbxml::text_of(d, status);
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc{} && end == text.data() + text.size()) {
        out.status = value;
        out.status_element = std::string(element_name(d, d.node(status).parent));
    }
}

}  // namespace

std::string_view element_name(const wbxml::Document& d, std::uint32_t node) {
    const auto& n = d.node(node);
    if (n.kind != wbxml::NodeKind::Element || n.literal) return {};
    return wbxml::tag_name(n.page, n.token);
}

std::uint32_t child(const wbxml::Document& d, std::uint32_t parent, std::string_view name) {
    if (parent == kNoNode) return kNoNode;
    for (auto c : wbxml::children(d, parent)) {
        if (element_name(d, c) == name) return c;
    }
    return kNoNode;
}

std::vector<std::uint32_t> children_named(const wbxml::Document& d, std::uint32_t parent,
                                          std::string_view name) {
    std::vector<std::uint32_t> out;
    if (parent == kNoNode) return out;
    for (auto c : wbxml::children(d, parent)) {
        if (element_name(d, c) == name) out.push_back(c);
    }
    return out;
}

std::uint32_t path(const wbxml::Document& d, std::uint32_t from,
                   std::initializer_list<std::string_view> names) {
    std::uint32_t at = from;
    for (auto name : names) {
        at = child(d, at, name);
        if (at == kNoNode) return kNoNode;
    }
    return at;
}

std::string text_at(const wbxml::Document& d, std::uint32_t from,
                    std::initializer_list<std::string_view> names) {
    const std::uint32_t at = path(d, from, names);
    return at == kNoNode ? std::string() : wbxml::text_of(d, at);
}

DecodedResponse decode_response(const Response& r) {
    DecodedResponse out;
    if (r.body_bytes == 0) return out;
    const std::string type = r.head.value_or("Content-Type");
    const std::string coding = r.head.value_or("Content-Encoding");
    if (!r.body_complete) {
        if (is_multipart_type(type) && coding.empty()) {
            out.multipart = true;
            const auto part0 = multipart_prefix(r.body, out);
            if (!part0) {
                out.problem = "multipart table or part 0 lies past the first " +
                              std::to_string(r.body.size()) + " bytes kept for decoding";
                return out;
            }
            auto decoded = wbxml::decode(*part0);
            out.doc = std::move(decoded.document);
            out.has_document = true;
            if (decoded.error) out.problem = "multipart part 0: " + decoded.error->reason;
            find_status(out);
            return out;
        }
        out.problem = "body not decoded: " + std::to_string(r.body_bytes - r.body.size()) +
                      " bytes over the decode limit";
        return out;
    }
    BodyDecodeOptions options;
    options.content_type = type;
    options.content_encoding = coding;
    auto body = decode_body(r.body, options);
    if (body.kind == BodyKind::Multipart) {
        out.multipart = true;
        for (const auto& p : body.multipart.parts) out.part_sizes.push_back(p.length);
    }
    if (body.has_document) {
        out.doc = std::move(body.document);
        out.has_document = true;
        find_status(out);
    }
    if (body.error)
        out.problem = body.error_stage + ": " + body.error->reason + " at byte " +
                      std::to_string(body.error->offset);
    return out;
}

std::string body_for_display(std::string_view content_type, std::string_view content_encoding,
                             std::string_view body, bool complete, std::uint64_t total_bytes,
                             bool from_client) {
    if (total_bytes == 0) return {};
    wbxml::XmlWriteOptions xo;
    xo.declaration = false;
    xo.annotate_status = true;
    xo.sender = from_client ? wbxml::XmlWriteOptions::Sender::Client
                            : wbxml::XmlWriteOptions::Sender::Server;
    Response r;
    r.head.headers.push_back({"Content-Type", std::string(content_type)});
    if (!content_encoding.empty())
        r.head.headers.push_back({"Content-Encoding", std::string(content_encoding)});
    r.body = std::string(body);
    r.body_bytes = total_bytes;
    r.body_complete = complete;
    const auto decoded = decode_response(r);
    std::string out;
    if (decoded.multipart) {
        out += "<!-- multipart: " + std::to_string(decoded.part_sizes.size()) + " parts:";
        for (auto s : decoded.part_sizes) out += " " + std::to_string(s);
        out += " bytes; part 0 follows -->\n";
    }
    if (decoded.has_document) {
        out += wbxml::to_xml(decoded.doc, xo);
    } else if (content_type.find("rfc822") != std::string_view::npos ||
               content_type.find("text/") == 0) {
        out += std::string(body.substr(0, 4096));
        if (body.size() > 4096 || !complete)
            out += "\n[... " + std::to_string(total_bytes) + " bytes in all]";
    } else {
        out += "[" + std::to_string(total_bytes) + " bytes of " +
               (content_type.empty() ? std::string("untyped data") : std::string(content_type)) +
               "]";
    }
    if (!decoded.problem.empty()) out += "\n[" + decoded.problem + "]";
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out;
}

}  // namespace eas::device
