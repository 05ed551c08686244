#include "flow_record.hpp"

#include <ctime>

#include "base64.hpp"
#include "body_decoder.hpp"
#include "nested_payloads.hpp"
#include "status_words.hpp"
#include "wbxml_codepages.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::proxy {
namespace {

std::string iso_time(Clock::time_point t) {
    const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    const std::time_t tt = Clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    return buf;
}

double ms(Steady::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

nlohmann::json headers_json(const http::MessageHead& head, bool keep_secrets) {
    auto list = nlohmann::json::array();
    for (const auto& h : head.headers) {
        list.push_back({h.name, keep_secrets ? h.value : redact_header(h.name, h.value)});
    }
    return list;
}

struct DecodedSide {
    DecodedBody body;
    bool decoded = false;
    std::string note;
};

DecodedSide decode_side(const http::MessageHead& head, const BodyCapture& capture,
                        std::string_view bytes, const RecordOptions& o) {
    DecodedSide d;
    if (capture.truncated) {
        const std::uint64_t limit = capture.limit ? capture.limit : capture.kept.size();
        d.note = "body not decoded: " + std::to_string(capture.bytes - limit) + " bytes over the " +
                 std::to_string(limit) + "-byte limit";
        return d;
    }
    BodyDecodeOptions bo;
    const auto type = head.value_or("Content-Type");
    const auto coding = head.value_or("Content-Encoding");
    bo.content_type = type;
    bo.content_encoding = coding;
    bo.max_inflated = o.max_inflated;
    d.body = decode_body(bytes, bo);
    d.decoded = true;
    return d;
}

}  // namespace

struct DecodedResponse {
    std::string bytes;  // a copy of the kept body: decoded parts may point into it
    DecodedSide side;
};

namespace {

const DecodedSide& response_side(const Flow& f, const RecordOptions& o) {
    if (!f.decoded_response) {
        auto d = std::make_shared<DecodedResponse>();
        d->bytes = f.response_body.kept;
        d->side = decode_side(*f.response, f.response_body, d->bytes, o);
        f.decoded_response = std::move(d);
    }
    return f.decoded_response->side;
}

nlohmann::json body_json(const DecodedSide& d, const BodyCapture& capture, const RecordOptions& o,
                         bool from_client, const std::string& content_type) {
    nlohmann::json j;
    j["bytes"] = capture.bytes;
    // A document carrying a password is written redacted, and its raw bytes withheld.
    std::optional<wbxml::Document> redacted;
    const auto* redactor = active_redactor(o);
    if (redactor && d.decoded && d.body.has_document && redactor->affects(d.body.document))
        redacted = redactor->redact(d.body.document);
    const bool redacting_content = redactor && redactor->level() != redact::Level::Secrets;
    // A request body over --decode-limit was never decoded, so never checked for a password:
    // its bytes stay out unless secrets are kept.
    const bool unchecked = from_client && capture.truncated && redactor;
    if (o.raw_bodies && !capture.kept.empty()) {
        if (unchecked && !redacting_content) {
            j["raw_withheld"] =
                "over --decode-limit, so not checked for passwords "
                "(--trace-secrets keeps it)";
        } else if (redacted || redacting_content) {
            j["raw_withheld"] =
                redacting_content
                    ? "redacted (" + std::string(redact::level_name(redactor->level())) + ")"
                    : "the body carries a password (--trace-secrets keeps it)";
        } else {
            j["raw_base64"] = base64_encode(capture.kept);
            if (capture.truncated) j["raw_truncated"] = true;
        }
    }
    if (!d.decoded) {
        if (!d.note.empty()) j["note"] = d.note;
        return j;
    }
    j["kind"] = body_kind_name(d.body.kind);
    if (!d.body.codings.empty()) j["content_encoding"] = d.body.codings;
    if (d.body.has_document && o.decoded_bodies) {
        wbxml::XmlWriteOptions xo;
        xo.declaration = false;
        xo.annotate_status = true;
        xo.sender = from_client ? wbxml::XmlWriteOptions::Sender::Client
                                : wbxml::XmlWriteOptions::Sender::Server;
        j["xml"] = wbxml::to_xml(redacted ? *redacted : d.body.document, xo);
    }
    // Nested payloads only where content is kept: a summary would leak what --redact hides.
    if (!redacting_content && o.decoded_bodies) {
        nlohmann::json nested;
        if (d.body.has_document) {
            nested = nested_payloads(d.body.document);
        } else if (content_type.find("message/rfc822") != std::string::npos) {
            nested = nlohmann::json::array({mime_payload(capture.kept)});
        }
        if (nested.is_array() && !nested.empty()) j["nested"] = std::move(nested);
    }
    if (d.body.kind == BodyKind::Multipart) {
        auto parts = nlohmann::json::array();
        for (const auto& p : d.body.multipart.parts)
            parts.push_back({{"offset", p.offset}, {"length", p.length}});
        j["parts"] = parts;
    }
    if (d.body.autodiscover_request)
        j["autodiscover_request"] = to_json(*d.body.autodiscover_request);
    if (d.body.autodiscover_response)
        j["autodiscover_response"] = to_json(*d.body.autodiscover_response);
    if (d.body.error) {
        j["decode_error"] = {{"stage", d.body.error_stage},
                             {"offset", d.body.error->offset},
                             {"reason", d.body.error->reason}};
    }
    return j;
}

// First Status element in document order, in the context of its command and parent.
std::optional<EasStatus> first_status(const wbxml::Document& doc, bool from_client) {
    const auto root = doc.root_element();
    if (root == wbxml::kNoNode) return std::nullopt;
    const auto command = wbxml::tag_name(doc.node(root).page, doc.node(root).token);
    for (std::uint32_t i = 0; i < doc.node_count(); ++i) {
        const auto& n = doc.node(i);
        if (n.kind != wbxml::NodeKind::Element || n.literal || n.page == 2 || n.page == 3) continue;
        if (wbxml::tag_name(n.page, n.token) != "Status") continue;
        const auto text = wbxml::text_of(doc, i);
        if (text.empty() || text.size() > 4 ||
            text.find_first_not_of("0123456789") != std::string::npos)
            continue;
        EasStatus s;
        s.value = std::stoi(text);
        const auto& p = doc.node(n.parent);
        s.words = std::string(
            eas_status_name({command, wbxml::tag_name(p.page, p.token), from_client}, s.value));
        return s;
    }
    return std::nullopt;
}

}  // namespace

std::string redact_header(std::string_view name, std::string_view value) {
    if (http::iequals(name, "Authorization") || http::iequals(name, "Proxy-Authorization")) {
        const auto space = value.find(' ');
        const std::string scheme(value.substr(0, space));
        std::string out = scheme + " [redacted]";
        if (http::iequals(scheme, "Basic") && space != std::string_view::npos) {
            // The user name helps a support case; the password never leaves.
            if (auto decoded = base64_decode(value.substr(space + 1))) {
                const auto colon = decoded->find(':');
                out += " (user " + decoded->substr(0, colon) + ")";
            }
        }
        return out;
    }
    if (http::iequals(name, "Cookie") || http::iequals(name, "Set-Cookie")) return "[redacted]";
    return std::string(value);
}

FlowSummary summarize(const Flow& flow, const RecordOptions& o) {
    FlowSummary s;
    s.command = flow.eas.command;
    if (flow.response) {
        const auto& side = response_side(flow, o);
        s.response_kind = side.decoded ? std::string(body_kind_name(side.body.kind)) : "";
        s.body_note = side.note;
        if (side.body.has_document) s.status = first_status(side.body.document, false);
        if (const auto& ad = side.body.autodiscover_response) {
            if (ad->kind == AutodiscoverKind::RedirectAddress) {
                s.autodiscover_redirect = "redirect_address";
                s.autodiscover_target = ad->redirect_address;
            } else if (ad->kind == AutodiscoverKind::RedirectUrl) {
                s.autodiscover_redirect = "redirect_url";
                s.autodiscover_target = ad->redirect_url;
            }
        }
    }
    return s;
}

nlohmann::json flow_record(const Flow& f, const RecordOptions& o) {
    nlohmann::json j;
    j["v"] = 1;
    j["id"] = f.id;
    if (!o.run.empty()) j["run"] = o.run;
    j["time"] = iso_time(f.started_at);
    j["client"] = f.client;
    j["upstream"] = f.upstream;
    auto& req = j["request"];
    req["method"] = f.request.method;
    req["target"] = f.request.target;
    req["headers"] = headers_json(f.request, o.keep_secrets);
    req["eas"] = to_json(f.eas);
    req["body"] = body_json(decode_side(f.request, f.request_body, f.request_body.kept, o),
                            f.request_body, o, true, f.request.value_or("Content-Type"));
    if (f.response) {
        auto& resp = j["response"];
        resp["status"] = f.response->status;
        resp["reason"] = f.response->reason;
        resp["headers"] = headers_json(*f.response, o.keep_secrets);
        const auto& side = response_side(f, o);
        resp["body"] =
            body_json(side, f.response_body, o, false, f.response->value_or("Content-Type"));
        if (side.body.has_document) {
            if (auto st = first_status(side.body.document, false)) {
                resp["eas_status"] = {{"value", st->value}, {"words", st->words}};
            }
        }
        const auto meaning = http_status_meaning(f.response->status);
        if (!meaning.empty()) resp["status_meaning"] = meaning;
    }
    auto& t = j["timings_ms"];
    if (f.upstream_queue) t["upstream_queue"] = ms(*f.upstream_queue);
    if (f.upstream_connect) t["upstream_connect"] = ms(*f.upstream_connect);
    if (f.first_response_byte) t["first_response_byte"] = ms(*f.first_response_byte);
    if (f.finished) t["total"] = ms(*f.finished);
    if (!f.ms_location.empty()) {
        j["redirect"] = {{"x_ms_location", f.ms_location}, {"decision", f.redirect_decision}};
        if (!f.redirect_chain.empty()) j["redirect"]["answered_451"] = f.redirect_chain;
        if (!f.rewritten_location.empty()) j["redirect"]["sent_to_device"] = f.rewritten_location;
    }
    if (!f.error.empty()) {
        j["error"] = {{"stage", f.error_stage}, {"reason", f.error}};
        if (f.synthesized_status) j["error"]["answered"] = f.synthesized_status;
    }
    if (const auto* redactor = active_redactor(o)) {
        redactor->redact_envelope(j);
        if (redactor->level() != redact::Level::Secrets)
            j["redacted"] = std::string(redact::level_name(redactor->level()));
    }
    return j;
}

const redact::Redactor* active_redactor(const RecordOptions& o) {
    if (o.keep_secrets) return nullptr;
    if (o.redactor) return o.redactor.get();
    static const redact::Redactor secrets_only(redact::Level::Secrets, redact::random_key());
    return &secrets_only;
}

}  // namespace eas::proxy
