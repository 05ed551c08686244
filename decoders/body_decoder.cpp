#include "body_decoder.hpp"
#include "ascii.hpp"

#include <algorithm>
#include <cctype>

#include "content_encoding.hpp"

namespace eas {
namespace {

// Media type without parameters, lower-cased: "Text/XML; charset=utf-8" -> "text/xml".
std::string media_type(std::string_view content_type) {
    const auto semi = content_type.find(';');
    auto t = content_type.substr(0, semi);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    return to_lower(t);
}

bool starts_like_xml(std::string_view b) {
    if (b.substr(0, 3) == "\xEF\xBB\xBF") b.remove_prefix(3);
    const auto first = b.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && b[first] == '<';
}

bool looks_like_gzip(std::string_view b) {
    return b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1F &&
           static_cast<unsigned char>(b[1]) == 0x8B;
}

bool looks_like_zlib(std::string_view b) {
    if (b.size() < 2) return false;
    const auto cmf = static_cast<unsigned char>(b[0]);
    const auto flg = static_cast<unsigned char>(b[1]);
    return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

BodyKind kind_from_type(const std::string& type) {
    if (type == "application/vnd.ms-sync.wbxml" || type == "application/vnd.ms-sync")
        return BodyKind::Wbxml;
    if (type == "application/vnd.ms-sync.multipart") return BodyKind::Multipart;
    if (type == "message/rfc822") return BodyKind::Rfc822;
    return BodyKind::Other;  // text/xml and the rest are sniffed
}

BodyKind sniff(std::string_view b) {
    if (b.empty()) return BodyKind::Empty;
    // Multipart first: its part count (02 00 00 00) can pass for a WBXML 1.2 header, while a
    // WBXML header read as a part count (03 01 6A 00 = 6947075 parts) never fits the body.
    if (looks_like_multipart(b)) return BodyKind::Multipart;
    if (wbxml::looks_like_wbxml(b)) return BodyKind::Wbxml;
    if (starts_like_xml(b)) {
        const auto head = to_lower(b.substr(0, 4096));
        return head.find("autodiscover") != std::string::npos ? BodyKind::Autodiscover
                                                              : BodyKind::Xml;
    }
    return BodyKind::Other;
}

void decode_wbxml(std::string_view bytes, const BodyDecodeOptions& o, DecodedBody& out,
                  const char* stage) {
    auto r = wbxml::decode(bytes, o.limits);
    out.document = std::move(r.document);
    out.has_document = true;
    if (r.error) {
        out.error = std::move(r.error);
        out.error_stage = stage;
    }
}

}  // namespace

std::string_view body_kind_name(BodyKind kind) {
    switch (kind) {
        case BodyKind::Empty:
            return "empty";
        case BodyKind::Wbxml:
            return "wbxml";
        case BodyKind::Multipart:
            return "multipart";
        case BodyKind::Autodiscover:
            return "autodiscover";
        case BodyKind::Xml:
            return "xml";
        case BodyKind::Rfc822:
            return "rfc822";
        case BodyKind::Other:
            return "other";
    }
    return "other";
}

DecodedBody decode_body(std::string_view body, const BodyDecodeOptions& o) {
    DecodedBody out;

    // 1. Content-Encoding. Without a header, a gzip or zlib stream is still recognised: bodies
    //    pasted from captures often lost their headers.
    std::string_view coding = o.content_encoding;
    if (coding.empty() && looks_like_gzip(body)) coding = "gzip";
    if (coding.empty() && !wbxml::looks_like_wbxml(body) && looks_like_zlib(body))
        coding = "deflate";
    const std::string coding_lc = to_lower(coding);
    if (!coding_lc.empty() && coding_lc != "identity") {
        auto inflated = inflate_body(body, coding, o.max_inflated);
        out.codings = std::move(inflated.codings);
        out.notes = std::move(inflated.notes);
        out.inflated = std::move(inflated.body);
        out.was_encoded = true;
        if (inflated.error) {
            out.error = std::move(inflated.error);
            out.error_stage = coding_lc;
            // Keep going: what was inflated before the error may still decode in part.
        }
        body = out.inflated;
    }

    // 2. What the body is.
    const std::string type = media_type(o.content_type);
    out.kind = type.empty() ? sniff(body) : kind_from_type(type);
    if (out.kind == BodyKind::Other) out.kind = sniff(body);  // e.g. WBXML labelled octet-stream
    if (body.empty()) out.kind = BodyKind::Empty;

    // 3. Decode it; the first error wins.
    const bool had_error = out.error.has_value();
    DecodedBody inner;
    switch (out.kind) {
        case BodyKind::Wbxml:
            decode_wbxml(body, o, inner, "wbxml");
            break;
        case BodyKind::Multipart: {
            inner.multipart = parse_multipart(body);
            for (auto& w : inner.multipart.warnings) out.notes.push_back("multipart: " + w);
            if (inner.multipart.error) {
                inner.error = inner.multipart.error;
                inner.error_stage = "multipart";
            } else if (!inner.multipart.parts.empty()) {
                const auto& part0 = inner.multipart.parts.front();
                decode_wbxml(part0.data, o, inner, "multipart part 0 (wbxml)");
                // Offsets inside part 0 are reported relative to the whole body.
                if (inner.error) inner.error->offset += part0.offset;
            }
            break;
        }
        case BodyKind::Autodiscover: {
            const auto head = to_lower(body.substr(0, 4096));
            if (head.find("requestschema") != std::string::npos) {
                auto r = decode_autodiscover_request(body);
                if (r.error) {
                    inner.error = r.error;
                    inner.error_stage = "autodiscover request";
                }
                inner.autodiscover_request = std::move(r);
            } else {
                auto r = decode_autodiscover_response(body);
                if (r.error) {
                    inner.error = r.error;
                    inner.error_stage = "autodiscover response";
                }
                inner.autodiscover_response = std::move(r);
            }
            break;
        }
        default:
            break;
    }
    out.document = std::move(inner.document);
    out.has_document = inner.has_document;
    out.multipart = std::move(inner.multipart);
    out.autodiscover_request = std::move(inner.autodiscover_request);
    out.autodiscover_response = std::move(inner.autodiscover_response);
    if (!had_error && inner.error) {
        out.error = std::move(inner.error);
        out.error_stage = std::move(inner.error_stage);
    }
    return out;
}

}  // namespace eas
