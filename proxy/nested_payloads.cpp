#include "nested_payloads.hpp"

#include "base64.hpp"
#include "cert_info.hpp"
#include "lzfu.hpp"
#include "mime.hpp"
#include "payload_sniff.hpp"
#include "wbxml_codepages.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::proxy {
namespace {

// Text and opaque content of an element, in order.
std::string content_of(const wbxml::Document& doc, std::uint32_t element) {
    std::string out;
    for (auto c : wbxml::children(doc, element)) {
        const auto& n = doc.node(c);
        if (n.kind == wbxml::NodeKind::Text || n.kind == wbxml::NodeKind::Opaque)
            out.append(doc.data(n));
    }
    return out;
}

std::string qualified(const wbxml::Node& n) {
    return std::string(wbxml::page_name(n.page)) + ":" + wbxml::element_name(n.page, n.token);
}

// The Type of the AirSyncBase Body (or Email Body in 2.5) an element sits in, or 0.
int body_type(const wbxml::Document& doc, std::uint32_t data) {
    const auto parent = doc.node(data).parent;
    if (parent == wbxml::kNoNode) return 0;
    for (auto c : wbxml::children(doc, parent)) {
        const auto& n = doc.node(c);
        if (n.kind == wbxml::NodeKind::Element && !n.literal &&
            wbxml::tag_name(n.page, n.token) == "Type") {
            const auto t = wbxml::text_of(doc, c);
            return t.size() == 1 && t[0] >= '1' && t[0] <= '4' ? t[0] - '0' : 0;
        }
    }
    return 0;
}

nlohmann::json rtf_payload(std::string_view base64_text) {
    nlohmann::json j;
    j["kind"] = "compressed_rtf";
    const auto bytes = base64_decode(base64_text);
    if (!bytes) {
        j["error"] = "not base64";
        return j;
    }
    const auto r = decompress_rtf(*bytes);
    j["compressed_bytes"] = bytes->size();
    j["rtf_bytes"] = r.rtf.size();
    if (r.crc_checked && r.header && r.computed_crc != r.header->crc) j["crc_mismatch"] = true;
    if (r.error) j["error"] = "at byte " + std::to_string(r.error->offset) + ": " + r.error->reason;
    const auto text = rtf_to_text(r.rtf, 4096);
    j["text_preview"] = text.text;
    if (text.from_html) j["encapsulates"] = "html";
    return j;
}

nlohmann::json binary_payload(std::string_view base64_text) {
    nlohmann::json j;
    const auto bytes = base64_decode(base64_text);
    if (!bytes) {
        j["kind"] = "text";
        j["bytes"] = base64_text.size();
        return j;
    }
    const auto info = sniff_payload(*bytes);
    j["kind"] = std::string(payload_kind_name(info.kind));
    j["description"] = info.description;
    if (!info.mime_type.empty()) j["mime_type"] = info.mime_type;
    if (info.kind == PayloadKind::X509Certificate) {
        // The subject says whose certificate it is: worth more than its bytes.
        const std::string pem = "-----BEGIN CERTIFICATE-----\n" + base64_encode(*bytes) +
                                "\n-----END CERTIFICATE-----\n";
        std::string error;
        if (const auto c = certs::describe_cert(pem, error)) {
            j["subject"] = c->subject;
            j["issuer"] = c->issuer;
            j["not_after"] = c->not_after;
        }
    }
    return j;
}

bool may_carry_payload(std::string_view local_name) {
    for (std::string_view name : {"Data", "Body", "MIMEData", "Mime", "CompressedRTF", "Picture",
                                  "Certificate", "MiniCertificate", "CertificateChain"})
        if (local_name == name) return true;
    return false;
}

bool is_base64_payload(std::string_view tag) {
    return tag == "Contacts:Picture" || tag == "GAL:Data" || tag == "ResolveRecipients:Data" ||
           tag == "ResolveRecipients:Certificate" || tag == "ResolveRecipients:MiniCertificate" ||
           tag == "ValidateCert:Certificate" || tag == "ValidateCert:CertificateChain";
}

}  // namespace

nlohmann::json mime_payload(std::string_view message) {
    const auto summary = mime::summarize(mime::parse_mime(message));
    nlohmann::json j = mime::to_json(summary);
    j["kind"] = "mime";
    j["tree"] = mime::format_tree(summary);
    return j;
}

nlohmann::json nested_payloads(const wbxml::Document& doc, std::size_t limit) {
    nlohmann::json out = nlohmann::json::array();
    for (std::uint32_t i = 0; i < doc.node_count() && out.size() < limit; ++i) {
        const auto& n = doc.node(i);
        if (n.kind != wbxml::NodeKind::Element || n.literal) continue;
        // Most elements are none of the payload carriers: rule them out by local name before
        // building the qualified one (two allocations per element of every Sync).
        if (!may_carry_payload(wbxml::tag_name(n.page, n.token))) continue;
        const std::string tag = qualified(n);
        nlohmann::json entry;
        if (tag == "AirSyncBase:Data" || tag == "Email:Body") {
            const int type = body_type(doc, i);
            if (type == 4) entry = mime_payload(content_of(doc, i));
            if (type == 3) entry = rtf_payload(content_of(doc, i));
        } else if (tag == "Email:MIMEData" || tag == "ComposeMail:Mime") {
            entry = mime_payload(content_of(doc, i));
        } else if (tag.size() > 14 && tag.substr(tag.size() - 14) == ":CompressedRTF") {
            entry = rtf_payload(content_of(doc, i));
        } else if (is_base64_payload(tag)) {
            // GAL and ResolveRecipients Data is a picture only inside Picture.
            const auto parent = n.parent;
            if ((tag == "GAL:Data" || tag == "ResolveRecipients:Data") &&
                (parent == wbxml::kNoNode ||
                 qualified(doc.node(parent)).find(":Picture") == std::string::npos))
                continue;
            entry = binary_payload(content_of(doc, i));
        }
        if (entry.is_null()) continue;
        entry["element"] = tag;
        entry["source_offset"] = n.source_offset;
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace eas::proxy
