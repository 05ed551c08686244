// ItemOperations Fetch (MS-ASCMD 2.2.1.10): items by CollectionId/ServerId and attachments by
// FileReference, inline (base64 text in itemoperations:Data) or multipart when the client asks
// (MS-ASAcceptMultiPart: T, or the base64 query's option bit).
//
// Generated attachments are streamed: the WBXML part is built with a placeholder where the data
// goes, split there, and the data is produced chunk by chunk behind a known Content-Length.
#include <cstdint>
#include <cstring>

#include "base64.hpp"
#include "body_source.hpp"
#include "handlers.hpp"
#include "wbxml_codepages.hpp"

namespace fakecas {

namespace wb = eas::wbxml;

namespace {

// Fetched data that is not written into the XML directly.
struct DataPart {
    const Attachment* attachment = nullptr;
    std::uint64_t start = 0;
    std::uint64_t length = 0;
    std::string placeholder;  // inline mode: text in <Data> to replace with the base64 stream
};

void append_le32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// "0-999" -> [0, 999]; false when malformed.
bool parse_range(const std::string& text, std::uint64_t& first, std::uint64_t& last) {
    const auto dash = text.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 >= text.size()) return false;
    char* end = nullptr;
    first = std::strtoull(text.c_str(), &end, 10);
    if (end != text.c_str() + dash) return false;
    last = std::strtoull(text.c_str() + dash + 1, &end, 10);
    return *end == '\0' && first <= last;
}

}  // namespace

Response handle_item_operations(EasRequest& r) {
    const auto& d = r.doc;
    const auto root = d.root_element();
    if (!is(d, root, tag("ItemOperations", "ItemOperations"))) return command_status(r, 2);

    const bool multipart = r.accept_multipart;
    Xml x("ItemOperations", "ItemOperations", {"airsync", "airsyncbase", "email"});
    x.leaf("Status", 1).open("Response");
    std::vector<DataPart> parts;
    std::uint64_t streamed = 0;
    int fetches = 0;
    int last_status = 1;

    for (auto op : wb::children(d, root)) {
        if (!is(d, op, tag("ItemOperations", "Fetch"))) {
            // EmptyFolderContents and Move are not simulated; answer them as protocol errors.
            const auto& n = d.node(op);
            const auto name = wb::tag_name(n.page, n.token);
            if (n.kind == wb::NodeKind::Element && n.page == tag("ItemOperations", "Fetch").page &&
                !name.empty()) {
                x.open(name).leaf("Status", 2).close();
            }
            last_status = 2;
            continue;
        }
        ++fetches;
        const auto options = child(d, op, tag("ItemOperations", "Options"));
        const auto file_ref = child_text(d, op, tag("AirSyncBase", "FileReference"));
        const auto server_id = child_text(d, op, tag("AirSync", "ServerId"));
        x.open("Fetch");
        if (file_ref) {
            const Item* item = nullptr;
            const Attachment* a = r.user->mailbox.attachment(*file_ref, &item);
            if (!a) {
                x.leaf("Status", 15)
                    .leaf("airsyncbase:FileReference", *file_ref)
                    .close();  // invalid attachment
                last_status = 15;
                continue;
            }
            std::uint64_t first = 0, last = a->size ? a->size - 1 : 0;
            const auto range = child_text(d, options, tag("ItemOperations", "Range"));
            if (range && (!parse_range(*range, first, last) || first >= a->size)) {
                x.leaf("Status", 8)
                    .leaf("airsyncbase:FileReference", *file_ref)
                    .close();  // byte range invalid
                last_status = 8;
                continue;
            }
            if (last >= a->size) last = a->size - 1;
            const std::uint64_t length = a->size ? last - first + 1 : 0;
            x.leaf("Status", 1).leaf("airsyncbase:FileReference", *file_ref).open("Properties");
            x.leaf("airsyncbase:ContentType", a->content_type);
            if (range)
                x.leaf("Range", std::to_string(first) + "-" + std::to_string(last))
                    .leaf("Total", a->size);
            if (multipart) {
                // Part 0 is the WBXML; data parts follow in order.
                x.leaf("Part", parts.size() + 1);
                parts.push_back({a, first, length, {}});
            } else if (a->generated) {
                DataPart p{a, first, length,
                           "FAKECAS-DATA-" + std::to_string(parts.size()) + "-END"};
                x.leaf("Data", p.placeholder);
                parts.push_back(std::move(p));
            } else {
                x.leaf("Data", eas::base64_encode(std::string_view(a->data).substr(first, length)));
            }
            streamed += length;
            x.close().close();
        } else if (server_id) {
            const auto collection = child_text(d, op, tag("AirSync", "CollectionId")).value_or("");
            const Item* item = r.user->mailbox.item(*server_id);
            if (!item) {
                // 150 ItemNotFound from 14.0; before, ItemOperations' own 6 (object not found).
                const int missing = r.version_x10 >= 140 ? 150 : 6;
                x.leaf("Status", static_cast<std::uint64_t>(missing))
                    .leaf("airsync:CollectionId", collection)
                    .leaf("airsync:ServerId", *server_id);
                x.close();
                last_status = missing;
                continue;
            }
            x.leaf("Status", 1)
                .leaf("airsync:CollectionId", collection)
                .leaf("airsync:ServerId", *server_id);
            x.leaf("airsync:Class", "Email").open("Properties");
            render_email(x, *item, r, read_body_preference(d, options));
            x.close().close();
        } else {
            x.leaf("Status", 2)
                .close();  // neither FileReference nor ServerId (LongId: not simulated)
            last_status = 2;
        }
    }
    if (!fetches && last_status == 1) return command_status(r, 2);

    std::string wbxml = to_wbxml(x.finish());
    Response resp;
    resp.eas_status = last_status;
    auto source = std::make_unique<SegmentSource>();
    if (multipart) {
        // MS-ASCMD 2.2.1.10.1.1: count, then {offset, length} per part, little-endian.
        const std::uint64_t table = 4 + 8 * (parts.size() + 1);
        std::uint64_t total = table + wbxml.size();
        for (const auto& p : parts) total += p.length;
        if (total > 0xFFFFFFFFull) return command_status(r, 11);  // too large for 32-bit offsets
        std::string head;
        append_le32(head, static_cast<std::uint32_t>(parts.size() + 1));
        std::uint64_t offset = table;
        append_le32(head, static_cast<std::uint32_t>(offset));
        append_le32(head, static_cast<std::uint32_t>(wbxml.size()));
        offset += wbxml.size();
        for (const auto& p : parts) {
            append_le32(head, static_cast<std::uint32_t>(offset));
            append_le32(head, static_cast<std::uint32_t>(p.length));
            offset += p.length;
        }
        source->add_bytes(std::move(head));
        source->add_bytes(std::move(wbxml));
        for (const auto& p : parts) {
            if (p.attachment->generated) {
                source->add_pattern(p.start, p.length);
            } else {
                source->add_bytes(p.attachment->data.substr(p.start, p.length));
            }
        }
        resp.header("Content-Type", "application/vnd.ms-sync.multipart");
        resp.note = "multipart, " + std::to_string(parts.size() + 1) + " parts, " +
                    std::to_string(streamed) + " data bytes streamed";
    } else {
        // Split the WBXML at each placeholder (inside an STR_I) and stream base64 there.
        std::size_t from = 0;
        for (const auto& p : parts) {
            const auto at = wbxml.find(p.placeholder, from);
            source->add_bytes(wbxml.substr(from, at - from));
            source->add_pattern_base64(p.start, p.length);
            from = at + p.placeholder.size();
        }
        source->add_bytes(wbxml.substr(from));
        resp.header("Content-Type", kWbxmlType);
        resp.note = "inline, " + std::to_string(streamed) + " data bytes";
    }
    resp.stream = std::move(source);
    return resp;
}

}  // namespace fakecas
