// libFuzzer target: parse_mime must keep every part inside the input, build a consistent tree
// within its limits, count decoded sizes exactly as decode_part_body decodes, and produce
// summaries that format and dump as JSON without throwing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime.hpp"

namespace {

void check(std::string_view input, const eas::mime::Limits& limits) {
    const eas::mime::Message m = eas::mime::parse_mime(input, limits);
    if (m.parts.empty() || m.parts.size() > limits.max_parts) std::abort();
    if (m.warnings.size() > limits.max_warnings) std::abort();
    if (m.error && m.error->offset > input.size()) std::abort();
    for (std::size_t i = 0; i < m.parts.size(); ++i) {
        const auto& p = m.parts[i];
        if (p.offset + p.length > input.size()) std::abort();
        if (p.body_offset < p.offset || p.body_offset + p.body_length != p.offset + p.length)
            std::abort();
        if (p.depth > limits.max_depth) std::abort();
        if (i == 0 ? p.parent != -1 : (p.parent < 0 || static_cast<std::size_t>(p.parent) >= i))
            std::abort();
        if (i > 0 && p.depth != m.parts[static_cast<std::size_t>(p.parent)].depth + 1) std::abort();
        for (std::uint32_t c : p.children) {
            if (c <= i || c >= m.parts.size() || m.parts[c].parent != static_cast<std::int64_t>(i))
                std::abort();
        }
        for (const auto& h : p.headers) {
            if (h.raw.size() > limits.max_header_bytes || h.offset >= input.size()) std::abort();
        }
        if (p.headers.size() > limits.max_headers) std::abort();
        if (p.children.empty() && !p.is_multipart() &&
            (p.transfer_encoding == "base64" || p.transfer_encoding == "quoted-printable")) {
            const auto body = eas::mime::decode_part_body(input, p, input.size() + 16);
            if (!p.decoded_size || *p.decoded_size != body.data.size() || body.truncated)
                std::abort();
            const auto cut = eas::mime::decode_part_body(input, p, 7);
            if (cut.data.size() > 7) std::abort();
        }
    }
    const auto summary = eas::mime::summarize(m);
    if (summary.parts.size() != m.parts.size()) std::abort();
    (void)eas::mime::format_tree(summary);
    (void)eas::mime::format_headers(summary.headers);
    (void)eas::mime::to_json(summary).dump();  // throws (and so fails) on invalid UTF-8
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check(input, eas::mime::Limits{});
    eas::mime::Limits tight;
    tight.max_depth = 2;
    tight.max_parts = 6;
    tight.max_header_bytes = 40;
    tight.max_headers = 3;
    tight.max_warnings = 2;
    check(input, tight);
    (void)eas::mime::decode_encoded_words(input.substr(0, 4096));
    return 0;
}
