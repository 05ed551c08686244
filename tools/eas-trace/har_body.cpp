#include "har_body.hpp"

#include <vector>

#include "body_view.hpp"
#include "redact.hpp"

namespace eas::trace {

using nlohmann::json;

// What a body becomes in HAR: the raw bytes when the trace has them (base64 when binary),
// else easproxy's decoded XML (said so in _note), and the decoded XML in _xml either way.
BodyParts har_body(const json* body, std::string_view content_type,
                   std::string_view content_encoding, bool from_device, const HarOptions& o) {
    BodyParts p;
    const auto v = body_view(body);
    std::vector<std::string> notes;
    std::optional<std::string> xml = v.xml;
    if (!xml && v.raw && !v.raw_truncated) {
        xml = xml_from_raw(*v.raw, content_type, content_encoding, from_device);
        if (xml) notes.push_back("_xml decoded by eas-trace from the raw bytes");
    }
    const bool secret = !o.keep_secrets &&
                        ((xml && xml_has_password(*xml)) ||
                         (v.raw && raw_body_has_password(*v.raw, content_type, content_encoding)));
    std::optional<std::string> shown_xml;
    if (xml) shown_xml = o.keep_secrets ? *xml : redact_xml_passwords(*xml);
    p.mime_type = content_type.empty() ? (v.bytes > 0 ? "application/octet-stream" : "x-unknown")
                                       : std::string(content_type);

    if (v.raw && !secret) {
        if (is_printable_utf8(*v.raw)) {
            p.text = *v.raw;
        } else {
            p.text = *v.raw_base64;
            p.base64 = true;
        }
        if (v.raw_truncated)
            notes.push_back("text holds the first " + std::to_string(v.raw->size()) + " of " +
                            std::to_string(v.bytes) + " bytes (easproxy's --decode-limit)");
    } else if (shown_xml) {
        p.text = *shown_xml;
        p.mime_type = "text/xml; charset=utf-8";
        if (!content_type.empty())
            p.mime_type += "; x-eas-decoded-from=\"" + std::string(content_type) + "\"";
        if (secret && v.raw)
            notes.push_back(
                "raw body withheld: it carries a password (--keep-secrets keeps "
                "it); text is the decoded XML with the password redacted");
        else if (!v.raw_withheld.empty())
            notes.push_back(
                "text is the body decoded to XML by easproxy; it withheld the raw "
                "bytes: " +
                v.raw_withheld);
        else
            notes.push_back(
                "text is the body decoded to XML by easproxy, not the bytes as "
                "sent (easproxy --trace-bodies both keeps those too)");
    } else if (v.bytes > 0) {
        if (secret)
            notes.push_back("raw body withheld: it carries a password (--keep-secrets keeps it)");
        else if (!v.note.empty())
            notes.push_back("body not in the trace: " + v.note);
        else if (!v.raw_withheld.empty())
            notes.push_back("body not in the trace: " + v.raw_withheld);
        else
            notes.push_back("body not in the trace (easproxy --trace-bodies none)");
    }

    if (shown_xml) p.custom["_xml"] = *shown_xml;
    if (body && body->is_object()) {
        auto rest = *body;
        rest.erase("xml");
        rest.erase("raw_base64");
        p.custom["_body"] = std::move(rest);
    }
    if (!notes.empty()) {
        std::string joined;
        for (const auto& n : notes) joined += (joined.empty() ? "" : "; ") + n;
        p.custom["_note"] = joined;
    }
    return p;
}

}  // namespace eas::trace
