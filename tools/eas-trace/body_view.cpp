#include "body_view.hpp"

#include <cstdio>

#include "base64.hpp"
#include "body_decoder.hpp"
#include "record.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::trace {

BodyView body_view(const nlohmann::json* body) {
    BodyView v;
    if (!body || !body->is_object()) return v;
    if (auto b = get_int(*body, "/bytes"); b && *b > 0) v.bytes = static_cast<std::uint64_t>(*b);
    v.kind = get_string(*body, "/kind").value_or("");
    v.xml = get_string(*body, "/xml");
    v.raw_base64 = get_string(*body, "/raw_base64");
    if (v.raw_base64) v.raw = base64_decode(*v.raw_base64);
    if (const auto it = body->find("raw_truncated"); it != body->end() && it->is_boolean())
        v.raw_truncated = it->get<bool>();
    v.raw_withheld = get_string(*body, "/raw_withheld").value_or("");
    v.note = get_string(*body, "/note").value_or("");
    return v;
}

std::optional<std::string> xml_from_raw(std::string_view bytes, std::string_view content_type,
                                        std::string_view content_encoding, bool from_device) {
    if (bytes.empty()) return std::nullopt;
    BodyDecodeOptions options;
    options.content_type = content_type;
    options.content_encoding = content_encoding;
    const auto body = decode_body(bytes, options);
    if (body.has_document) {
        wbxml::XmlWriteOptions xo;
        xo.declaration = false;
        xo.annotate_status = true;
        xo.sender = from_device ? wbxml::XmlWriteOptions::Sender::Client
                                : wbxml::XmlWriteOptions::Sender::Server;
        return wbxml::to_xml(body.document, xo);
    }
    if (body.kind == BodyKind::Autodiscover || body.kind == BodyKind::Xml) {
        const std::string text(body.inflated.empty() ? bytes : std::string_view(body.inflated));
        if (is_printable_utf8(text)) return text;
    }
    return std::nullopt;
}

bool is_printable_utf8(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) return false;
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1Fu;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0Fu;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (i + len > bytes.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(bytes[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        // Overlong forms, surrogates and values past Unicode are not UTF-8.
        static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

std::string hex_dump(std::string_view bytes, std::string_view indent) {
    std::string out;
    char buf[32];
    for (std::size_t off = 0; off < bytes.size(); off += 16) {
        out += indent;
        std::snprintf(buf, sizeof buf, "%08zx ", off);
        out += buf;
        std::string ascii;
        for (std::size_t i = 0; i < 16; ++i) {
            if (i == 8) out += ' ';
            if (off + i < bytes.size()) {
                const auto c = static_cast<unsigned char>(bytes[off + i]);
                std::snprintf(buf, sizeof buf, " %02x", c);
                out += buf;
                ascii += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
            } else {
                out += "   ";
            }
        }
        out += "  |" + ascii + "|\n";
    }
    return out;
}

}  // namespace eas::trace
