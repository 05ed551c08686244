#include "redact.hpp"

#include <vector>

#include "ascii.hpp"
#include "body_decoder.hpp"
#include "record.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::trace {
namespace {

bool already_redacted(std::string_view value) {
    return value.find(kRedacted) != std::string_view::npos;
}

std::string redact_authorization(std::string_view value) {
    if (already_redacted(value)) return std::string(value);
    value = trim(value);
    const auto space = value.find(' ');
    const std::string scheme(value.substr(0, space));
    std::string out = scheme + " " + std::string(kRedacted);
    // The user name helps a support case, as in easproxy's own trace.
    if (iequals(scheme, "Basic")) {
        if (const auto user = authorization_user(value); !user.empty())
            out += " (user " + user + ")";
    }
    return out;
}

// "a=1; b=2" -> "a=[redacted]; b=[redacted]". Only the first pair of a Set-Cookie is the
// cookie; its attributes (Path, Expires, HttpOnly...) say nothing secret.
std::string redact_cookie_pairs(std::string_view value, bool only_first) {
    if (already_redacted(value)) return std::string(value);
    std::string out;
    bool first = true;
    while (!value.empty()) {
        const auto semi = value.find(';');
        const auto part = trim(value.substr(0, semi));
        value = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
        if (part.empty()) continue;
        if (!out.empty()) out += "; ";
        if (first || !only_first) {
            const auto eq = part.find('=');
            out += eq == std::string_view::npos
                       ? std::string(kRedacted)
                       : std::string(part.substr(0, eq + 1)) + std::string(kRedacted);
        } else {
            out += part;
        }
        first = false;
    }
    return out;
}

bool is_name_char(char c) {
    return !is_ascii_space(c) && c != '>' && c != '/' && c != '<';
}

}  // namespace

bool is_credential_header(std::string_view name) {
    return iequals(name, "Authorization") || iequals(name, "Proxy-Authorization") ||
           iequals(name, "Cookie") || iequals(name, "Set-Cookie");
}

std::string redact_header_value(std::string_view name, std::string_view value) {
    if (iequals(name, "Authorization") || iequals(name, "Proxy-Authorization"))
        return redact_authorization(value);
    if (iequals(name, "Cookie")) return redact_cookie_pairs(value, false);
    if (iequals(name, "Set-Cookie")) return redact_cookie_pairs(value, true);
    return std::string(value);
}

std::string redact_xml_passwords(std::string_view xml, bool* found) {
    if (found) *found = false;
    std::string out;
    out.reserve(xml.size());
    std::size_t pos = 0;
    while (pos < xml.size()) {
        const auto lt = xml.find('<', pos);
        if (lt == std::string_view::npos || lt + 1 >= xml.size()) break;
        if (xml.substr(lt, 4) == "<!--") {
            // Comments (easproxy's Status words) are copied whole, never searched.
            const auto end = xml.find("-->", lt + 4);
            const auto stop = end == std::string_view::npos ? xml.size() : end + 3;
            out.append(xml, pos, stop - pos);
            pos = stop;
            continue;
        }
        std::size_t name_end = lt + 1;
        while (name_end < xml.size() && is_name_char(xml[name_end])) ++name_end;
        const auto name = xml.substr(lt + 1, name_end - lt - 1);
        const auto colon = name.rfind(':');
        const auto local = colon == std::string_view::npos ? name : name.substr(colon + 1);
        const auto gt = xml.find('>', name_end);
        if (local != "Password" || gt == std::string_view::npos || xml[gt - 1] == '/') {
            // Not a Password start tag with content (or an end tag, comment, declaration).
            out.append(xml, pos, name_end - pos);
            pos = name_end;
            continue;
        }
        out.append(xml, pos, gt + 1 - pos);
        const auto content_start = gt + 1;
        const std::string close = "</" + std::string(name) + ">";
        auto content_end = xml.find(close, content_start);
        if (content_end == std::string_view::npos) content_end = xml.size();  // cut short
        const auto content = xml.substr(content_start, content_end - content_start);
        if (!content.empty() && content != kRedacted && found) *found = true;
        if (!content.empty()) out += kRedacted;
        pos = content_end;
    }
    if (pos < xml.size()) out.append(xml, pos, std::string_view::npos);
    return out;
}

bool xml_has_password(std::string_view xml) {
    bool found = false;
    redact_xml_passwords(xml, &found);
    return found;
}

bool raw_body_has_password(std::string_view bytes, std::string_view content_type,
                           std::string_view content_encoding) {
    if (bytes.empty()) return false;
    BodyDecodeOptions options;
    options.content_type = content_type;
    options.content_encoding = content_encoding;
    const auto body = decode_body(bytes, options);
    if (body.has_document) {
        const auto& doc = body.document;
        for (std::uint32_t i = 0; i < doc.node_count(); ++i) {
            const auto& n = doc.node(i);
            if (n.kind != wbxml::NodeKind::Element) continue;
            const std::string name =
                n.literal ? std::string(doc.data(n)) : wbxml::element_name(n.page, n.token);
            if (name == "Password") return true;
        }
        return false;
    }
    // Textual bodies (Autodiscover and other XML): look at the text itself.
    const std::string_view text = body.inflated.empty() ? bytes : body.inflated;
    return xml_has_password(text);
}

}  // namespace eas::trace
