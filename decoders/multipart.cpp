#include "multipart.hpp"

#include <algorithm>

namespace eas {
namespace {

std::uint32_t read_le32(std::string_view s, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3])) << 24;
}

void append_le32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// 64-bit arithmetic throughout: with 32-bit fields, offset + length and 4 + 8N cannot wrap.
std::uint64_t table_end(std::uint32_t count) {
    return 4 + 8 * std::uint64_t{count};
}

// A hostile table can make every part overlap every other; a trace needs a few examples, not
// millions of lines.
constexpr std::size_t kMaxOverlapWarnings = 8;

void add_layout_warnings(MultipartResult& r, std::uint64_t body_size, bool complete) {
    struct Span {
        std::size_t index;
        std::uint64_t begin, end;
    };
    std::vector<Span> spans;
    spans.reserve(r.parts.size());
    for (std::size_t i = 0; i < r.parts.size(); ++i) {
        const auto& p = r.parts[i];
        if (p.length != 0) spans.push_back({i, p.offset, std::uint64_t{p.offset} + p.length});
    }
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.index < b.index;
    });

    std::size_t overlaps = 0;
    std::uint64_t covered = 0;
    const Span* reach = nullptr;  // the span seen so far that ends last
    for (const Span& s : spans) {
        if (reach != nullptr && s.begin < reach->end) {
            if (++overlaps <= kMaxOverlapWarnings) {
                const std::uint64_t end = std::min(s.end, reach->end);
                r.warnings.push_back("parts " + std::to_string(std::min(reach->index, s.index)) +
                                     " and " + std::to_string(std::max(reach->index, s.index)) +
                                     " overlap (bytes " + std::to_string(s.begin) + " to " +
                                     std::to_string(end - 1) + ")");
            }
            if (s.end > reach->end) {
                covered += s.end - reach->end;
                reach = &s;
            }
        } else {
            covered += s.end - s.begin;
            reach = &s;
        }
    }
    if (overlaps > kMaxOverlapWarnings) {
        r.warnings.push_back("... and " + std::to_string(overlaps - kMaxOverlapWarnings) +
                             " more overlapping parts");
    }
    // Only meaningful when the whole table was read; a truncated table leaves data unclaimed.
    if (complete) {
        const std::uint64_t data_bytes = body_size - table_end(r.declared_count);
        if (covered < data_bytes) {
            r.warnings.push_back(std::to_string(data_bytes - covered) +
                                 " bytes after the part table belong to no part");
        }
    }
}

}  // namespace

MultipartResult parse_multipart(std::string_view body) {
    MultipartResult r;
    if (body.size() < 4) {
        r.error = DecodeError{0, "multipart body is " + std::to_string(body.size()) +
                                     " bytes, too short for the 4-byte part count"};
        return r;
    }
    const std::uint32_t count = read_le32(body, 0);
    r.declared_count = count;
    if (count == 0) {
        r.error = DecodeError{0,
                              "multipart body declares 0 parts; it should carry at least the "
                              "WBXML ItemOperations response as part 0"};
        return r;
    }
    const std::uint64_t table = table_end(count);
    if (table > body.size()) {
        r.error = DecodeError{
            0, "multipart body declares " + std::to_string(count) + " parts, whose " +
                   std::to_string(table) + "-byte part table does not fit in the " +
                   std::to_string(body.size()) + "-byte body (not multipart, or truncated)"};
        return r;
    }

    r.parts.reserve(count);  // bounded: table <= body.size()
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::size_t entry = 4 + 8 * static_cast<std::size_t>(i);
        const std::uint32_t offset = read_le32(body, entry);
        const std::uint32_t length = read_le32(body, entry + 4);
        const std::uint64_t end = std::uint64_t{offset} + length;
        const auto what = [&] {
            return "part " + std::to_string(i) + " (offset " + std::to_string(offset) +
                   ", length " + std::to_string(length) + ", table entry at byte " +
                   std::to_string(entry) + ")";
        };
        if (end > body.size()) {
            r.error = DecodeError{entry, what() + " ends at byte " + std::to_string(end) +
                                             ", past the end of the " +
                                             std::to_string(body.size()) + "-byte body"};
            break;
        }
        if (length != 0 && offset < table) {
            r.error = DecodeError{
                entry, what() + " starts inside the " + std::to_string(table) + "-byte part table"};
            break;
        }
        r.parts.push_back({offset, length, body.substr(offset, length)});
    }
    add_layout_warnings(r, body.size(), r.ok());
    return r;
}

std::string build_multipart(const std::vector<std::string_view>& parts) {
    std::uint64_t total = table_end(0) + 8 * std::uint64_t{parts.size()};
    for (std::string_view p : parts) total += p.size();
    if (parts.size() > 0xFFFFFFFFu || total > 0xFFFFFFFFu) return {};

    std::string out;
    out.reserve(static_cast<std::size_t>(total));
    append_le32(out, static_cast<std::uint32_t>(parts.size()));
    auto offset = static_cast<std::uint32_t>(table_end(static_cast<std::uint32_t>(parts.size())));
    for (std::string_view p : parts) {
        append_le32(out, offset);
        append_le32(out, static_cast<std::uint32_t>(p.size()));
        offset += static_cast<std::uint32_t>(p.size());
    }
    for (std::string_view p : parts) out.append(p);
    return out;
}

bool looks_like_multipart(std::string_view body) {
    if (body.size() < 12) return false;
    const std::uint32_t count = read_le32(body, 0);
    const std::uint64_t table = table_end(count);
    if (count == 0 || table > body.size()) return false;
    // Part 0 is the WBXML response, never empty, and real servers put it first.
    if (read_le32(body, 4) != table || read_le32(body, 8) == 0) return false;
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::size_t entry = 4 + 8 * static_cast<std::size_t>(i);
        const std::uint32_t offset = read_le32(body, entry);
        const std::uint32_t length = read_le32(body, entry + 4);
        if (std::uint64_t{offset} + length > body.size()) return false;
        if (length != 0 && offset < table) return false;
    }
    return true;
}

}  // namespace eas
