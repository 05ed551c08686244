#include "redactor.hpp"

#include <cstdio>
#include <random>

#include "ascii.hpp"
#include "base64.hpp"
#include "body_decoder.hpp"
#include "element_classes.hpp"
#include "wbxml_xml_reader.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::redact {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && lower(a) == lower(b);
}

std::string element_tag(const wbxml::Document& doc, const wbxml::Node& n) {
    return n.literal ? std::string(doc.data(n)) : wbxml::element_name(n.page, n.token);
}

// What kind of identifier an identity element holds, for its pseudonym's prefix.
std::string_view identity_kind(std::string_view tag) {
    if (tag == "IMEI") return "imei";
    if (tag == "PhoneNumber") return "phone";
    if (tag == "SMTPAddress" || tag == "PrimarySmtpAddress") return "email";
    if (tag == "UserName") return "user";
    if (tag == "DeviceAddress") return "device";
    return "name";  // FriendlyName, UserDisplayName, AccountName, DeviceFriendlyName
}

// Replaces `name=value` pairs of a plain query with `map(name, value)` where it says so.
template <class F>
std::string rewrite_query(const std::string& target, F&& map) {
    const auto q = target.find('?');
    if (q == std::string::npos) return target;
    std::string out = target.substr(0, q + 1);
    std::size_t pos = q + 1;
    while (pos <= target.size()) {
        auto amp = target.find('&', pos);
        if (amp == std::string::npos) amp = target.size();
        const std::string pair = target.substr(pos, amp - pos);
        const auto eq = pair.find('=');
        if (eq != std::string::npos) {
            const std::string name = pair.substr(0, eq);
            out += name + "=" + map(name, pair.substr(eq + 1));
        } else {
            out += pair;
        }
        if (amp < target.size()) out += '&';
        pos = amp + 1;
    }
    return out;
}

}  // namespace

std::optional<Level> parse_level(std::string_view text) {
    if (text == "secrets") return Level::Secrets;
    if (text == "content") return Level::Content;
    if (text == "strict") return Level::Strict;
    return std::nullopt;
}

std::string_view level_name(Level level) {
    switch (level) {
        case Level::Secrets:
            return "secrets";
        case Level::Content:
            return "content";
        case Level::Strict:
            return "strict";
    }
    return "secrets";
}

SipKey random_key() {
    std::random_device rd;
    SipKey k{};
    for (auto& b : k) b = static_cast<std::uint8_t>(rd());
    return k;
}

SipKey key_from_passphrase(std::string_view passphrase) {
    // Two fixed keys stretch the passphrase into 128 bits; repeatable, not a password hash.
    const SipKey a{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const SipKey b{16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    const std::uint64_t h1 = siphash24(a, passphrase), h2 = siphash24(b, passphrase);
    SipKey k{};
    for (int i = 0; i < 8; ++i) {
        k[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(h1 >> (8 * i));
        k[static_cast<std::size_t>(i + 8)] = static_cast<std::uint8_t>(h2 >> (8 * i));
    }
    return k;
}

std::string Redactor::hash_hex(std::string_view kind, std::string_view value,
                               std::size_t digits) const {
    std::string input(kind);
    input.push_back('\0');
    input.append(value);
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(siphash24(key_, input)));
    return std::string(buf, std::min<std::size_t>(digits, 16));
}

std::string Redactor::content_token(std::string_view value) const {
    return "[content " + std::to_string(value.size()) + " B #" + hash_hex("content", value, 12) +
           "]";
}

std::string Redactor::pseudonym(std::string_view kind, std::string_view value) const {
    if (value.empty()) return {};
    const auto at = value.rfind('@');
    if (kind == "email" || (kind == "user" && at != std::string_view::npos)) {
        // The local part maps like a user name, so "alex" and "alex@contoso.com" correlate.
        if (at == std::string_view::npos) return "user-" + hash_hex("user", lower(value), 6);
        return "user-" + hash_hex("user", lower(value.substr(0, at)), 6) + "@domain-" +
               hash_hex("domain", lower(value.substr(at + 1)), 6) + ".invalid";
    }
    const bool folded = kind == "user" || kind == "device";
    return std::string(kind) + "-" + hash_hex(kind, folded ? lower(value) : std::string(value), 6);
}

std::string Redactor::identity(std::uint8_t, std::string_view tag, std::string_view value) const {
    return pseudonym(identity_kind(tag), value);
}

bool Redactor::affects(const wbxml::Document& doc) const {
    for (std::uint32_t i = 0; i < doc.node_count(); ++i) {
        const auto& n = doc.node(i);
        if (n.kind != wbxml::NodeKind::Element) continue;
        const auto cls = n.literal ? ElementClass::Content : class_of(n.page, element_tag(doc, n));
        if (cls == ElementClass::Secret) return true;
        if (cls == ElementClass::Content && level_ != Level::Secrets) return true;
        if (cls == ElementClass::Identity && level_ == Level::Strict) return true;
    }
    return false;
}

wbxml::Document Redactor::redact(const wbxml::Document& doc) const {
    wbxml::Document out;
    out.header = doc.header;
    // Depth is bounded by the decoder's limits, so the recursion is bounded too.
    auto copy = [&](auto&& self, std::uint32_t index, std::uint32_t parent) -> void {
        const auto& n = doc.node(index);
        wbxml::Node c = n;
        std::tie(c.data_offset, c.data_size) = out.store(doc.data(n));
        const auto at = out.add_node(parent, c);
        if (n.kind != wbxml::NodeKind::Element) {
            for (auto child : wbxml::children(doc, index)) self(self, child, at);
            return;
        }
        const std::string tag = element_tag(doc, n);
        const auto cls = n.literal ? ElementClass::Content : class_of(n.page, tag);
        const bool replace = cls == ElementClass::Secret ||
                             (cls == ElementClass::Content && level_ != Level::Secrets) ||
                             (cls == ElementClass::Identity && level_ == Level::Strict);
        if (!replace) {
            for (auto child : wbxml::children(doc, index)) self(self, child, at);
            return;
        }
        // The element's own text (text and opaque pieces in order) becomes one token; nested
        // elements keep their own classes.
        std::string value;
        bool has_value = false;
        for (auto child : wbxml::children(doc, index)) {
            const auto& cn = doc.node(child);
            if (cn.kind == wbxml::NodeKind::Text || cn.kind == wbxml::NodeKind::Opaque ||
                cn.kind == wbxml::NodeKind::Extension) {
                value.append(doc.data(cn));
                has_value = true;
                continue;
            }
            self(self, child, at);
        }
        if (!has_value) return;
        if (cls == ElementClass::Secret) {
            out.add_text(at, "[redacted]");
        } else if (cls == ElementClass::Identity) {
            out.add_text(at, identity(n.page, tag, value));
        } else {
            out.add_text(at, content_token(value));
        }
    };
    for (auto top : wbxml::children(doc, wbxml::kNoNode)) copy(copy, top, wbxml::kNoNode);
    return out;
}

void Redactor::redact_envelope(nlohmann::json& j) const {
    const bool strict = level_ == Level::Strict;
    const bool content = level_ != Level::Secrets;
    auto user_of = [&](const std::string& u) { return strict ? pseudonym("user", u) : u; };

    auto headers = [&](nlohmann::json& list) {
        if (!list.is_array()) return;
        for (auto& h : list) {
            if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string()) continue;
            const std::string name = h[0];
            std::string value = h[1];
            if (iequals(name, "Authorization") || iequals(name, "Proxy-Authorization")) {
                // Whatever the trace kept, only the scheme and the user name leave.
                const auto space = value.find(' ');
                std::string user;
                const auto mark = value.find("(user ");
                if (mark != std::string::npos && value.back() == ')') {
                    user = value.substr(mark + 6, value.size() - mark - 7);
                } else if (space != std::string::npos && iequals(value.substr(0, space), "Basic")) {
                    if (auto d = base64_decode(value.substr(space + 1)))
                        user = d->substr(0, d->find(':'));
                }
                h[1] = value.substr(0, space) + " [redacted]" +
                       (user.empty() ? "" : " (user " + user_of(user) + ")");
            } else if (iequals(name, "Cookie") || iequals(name, "Set-Cookie")) {
                h[1] = "[redacted]";
            } else if (strict && (iequals(name, "X-Forwarded-For") || iequals(name, "X-Real-IP"))) {
                h[1] = pseudonym("ip", value);
            }
        }
    };
    if (j.contains("request")) {
        auto& req = j["request"];
        headers(req["headers"]);
        auto& eas = req["eas"];
        const bool base64_form = eas.is_object() && eas.value("form", "") == "base64";
        if (eas.is_object()) {
            if (strict && eas.contains("user"))
                eas["user"] = pseudonym("user", eas.value("user", ""));
            if (strict && eas.contains("device_id"))
                eas["device_id"] = pseudonym("device", eas.value("device_id", ""));
            if (eas.contains("parameters") && eas["parameters"].is_array()) {
                for (auto& p : eas["parameters"]) {
                    const std::string name = p.value("name", "");
                    if (content && (name == "AttachmentName" || name == "attachment name"))
                        p["value"] = content_token(p.value("value", ""));
                }
            }
        }
        if (req.contains("target") && req["target"].is_string()) {
            const std::string target = req["target"];
            if (strict && base64_form) {
                req["target"] =
                    target.substr(0, target.find('?')) + "?[base64 request line: see request.eas]";
            } else if (content) {
                req["target"] =
                    rewrite_query(target, [&](const std::string& name, const std::string& value) {
                        if (strict && iequals(name, "User"))
                            return pseudonym("user", percent_decode(value, true));
                        if (strict && iequals(name, "DeviceId"))
                            return pseudonym("device", percent_decode(value, true));
                        if (iequals(name, "AttachmentName"))
                            return content_token(percent_decode(value, true));
                        return value;
                    });
            }
        }
    }
    if (j.contains("response")) headers(j["response"]["headers"]);
    if (strict && j.contains("client") && j["client"].is_string()) {
        const std::string client = j["client"];
        const auto colon = client.rfind(':');
        j["client"] = pseudonym("ip", client.substr(0, colon)) +
                      (colon == std::string::npos ? "" : client.substr(colon));
    }
    // Autodiscover: who is asking and where they are sent.
    for (const char* side : {"request", "response"}) {
        if (!j.contains(side) || !j[side].contains("body")) continue;
        auto& body = j[side]["body"];
        for (const char* key : {"autodiscover_request", "autodiscover_response"}) {
            if (!body.contains(key) || !body[key].is_object()) continue;
            auto& ad = body[key];
            for (const char* f : {"email_address", "redirect_address"}) {
                if (strict && ad.contains(f) && ad[f].is_string() &&
                    !ad[f].get<std::string>().empty())
                    ad[f] = pseudonym("email", ad[f].get<std::string>());
            }
            for (const char* f : {"display_name", "legacy_dn"}) {
                if (content && ad.contains(f) && ad[f].is_string() &&
                    !ad[f].get<std::string>().empty())
                    ad[f] = content_token(ad[f].get<std::string>());
            }
        }
    }
}

void Redactor::redact_record(nlohmann::json& j) const {
    for (const char* side : {"request", "response"}) {
        if (!j.contains(side) || !j[side].contains("body")) continue;
        auto& body = j[side]["body"];
        std::optional<wbxml::Document> doc;
        if (body.contains("xml") && body["xml"].is_string()) {
            auto parsed = wbxml::read_xml(body["xml"].get<std::string>());
            if (parsed.ok()) {
                doc = std::move(parsed.document);
                wbxml::XmlWriteOptions xo;
                xo.declaration = false;
                xo.annotate_status = true;
                xo.sender = std::string(side) == "request" ? wbxml::XmlWriteOptions::Sender::Client
                                                           : wbxml::XmlWriteOptions::Sender::Server;
                body["xml"] = wbxml::to_xml(redact(*doc), xo);
            } else {
                body.erase("xml");
                body["redaction_note"] =
                    "decoded body left out: it could not be parsed to redact it";
            }
        }
        // Summaries of nested payloads (MIME headers, RTF text) are content through and through.
        if (level_ != Level::Secrets && body.contains("nested")) body.erase("nested");
        if (body.contains("raw_base64")) {
            bool withhold = level_ != Level::Secrets;
            if (!withhold) {
                // A trace kept with --trace-secrets: withhold the bytes if they carry a password.
                const auto raw = base64_decode(body["raw_base64"].get<std::string>());
                DecodedBody decoded;
                if (raw) decoded = decode_body(*raw);
                withhold = !raw || (decoded.has_document && affects(decoded.document));
            }
            if (withhold) {
                body.erase("raw_base64");
                body["raw_withheld"] = "redacted (" + std::string(level_name(level_)) + ")";
            }
        }
    }
    redact_envelope(j);
}

}  // namespace eas::redact
