#include "show_command.hpp"

#include "redacted_record.hpp"

#include <filesystem>
#include <sstream>

#include "body_view.hpp"
#include "format.hpp"
#include "har.hpp"
#include "record.hpp"

namespace eas::trace {
namespace {

using nlohmann::json;

void indented(std::ostream& out, std::string_view text, std::string_view indent) {
    while (!text.empty()) {
        const auto nl = text.find('\n');
        out << indent << text.substr(0, nl) << "\n";
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

void field(std::ostream& out, std::string_view name, const std::string& value) {
    out << "  " << pad_right(std::string(name), 16) << value << "\n";
}

void headers(std::ostream& out, const json* list) {
    out << "Headers\n";
    if (!list || !list->is_array() || list->empty()) {
        out << "  (none)\n";
        return;
    }
    for (const auto& h : *list) {
        if (h.is_array() && h.size() == 2 && h[0].is_string() && h[1].is_string())
            out << "  " << h[0].get<std::string>() << ": " << h[1].get<std::string>() << "\n";
    }
}

void body(std::ostream& out, const json* b, const json* header_list, bool from_device, bool raw) {
    const auto v = body_view(b);
    std::string kind = v.kind.empty() ? "not decoded" : v.kind;
    if (v.bytes == 0 && (v.kind.empty() || v.kind == "empty")) {
        out << "Body  none\n";
        return;
    }
    out << "Body  " << v.bytes << " bytes, " << kind;
    if (b && b->contains("content_encoding"))
        out << ", content-encoding " << dump_json((*b)["content_encoding"]);
    out << "\n";
    if (!v.note.empty()) out << "  (" << v.note << ")\n";
    if (const auto* err = b ? get_object(*b, "/decode_error") : nullptr) {
        out << "  decode error";
        if (auto stage = get_string(*err, "/stage")) out << " (" << *stage << ")";
        if (auto off = get_int(*err, "/offset")) out << " at byte " << *off;
        if (auto why = get_string(*err, "/reason")) out << ": " << *why;
        out << "\n";
    }
    if (v.xml) {
        indented(out, *v.xml, "  ");
    } else if (v.raw && !v.raw_truncated) {
        const json none = json::array();
        const json& hl = header_list ? *header_list : none;
        const auto xml =
            xml_from_raw(*v.raw, header_value(hl, "Content-Type").value_or(""),
                         header_value(hl, "Content-Encoding").value_or(""), from_device);
        if (xml) {
            out << "  (decoded by eas-trace from the raw bytes)\n";
            indented(out, *xml, "  ");
        }
    }
    if (v.raw_base64) {
        if (!v.raw) {
            out << "  raw_base64 in the trace is not valid base64\n";
        } else if (raw) {
            out << "  raw bytes"
                << (v.raw_truncated ? " (first " + std::to_string(v.raw->size()) + " of " +
                                          std::to_string(v.bytes) + ")"
                                    : std::string())
                << ":\n"
                << hex_dump(*v.raw, "  ");
        } else {
            out << "  raw: " << v.raw->size() << " bytes in the trace"
                << (v.raw_truncated ? " (cut at easproxy's --decode-limit)" : "")
                << "; --raw shows a hex dump\n";
        }
    }
    if (!v.raw_withheld.empty())
        out << "  raw bytes withheld by easproxy: " << v.raw_withheld << "\n";
    // What sits inside the body: MIME trees, RTF text, pictures and certificates.
    if (const auto* nested = b ? get_value(*b, "/nested") : nullptr; nested && nested->is_array()) {
        for (const auto& n : *nested) {
            out << "  inside " << n.value("element", "?") << ": " << n.value("kind", "?");
            if (n.contains("description")) out << ", " << n.value("description", "");
            if (n.contains("subject")) out << ", subject " << n.value("subject", "");
            out << "\n";
            if (n.contains("headers") && n["headers"].is_object()) {
                for (const auto& [k, val] : n["headers"].items())
                    if (val.is_string() && !val.get<std::string>().empty())
                        out << "    " << k << ": " << val.get<std::string>() << "\n";
            }
            if (n.contains("tree")) indented(out, n.value("tree", ""), "    ");
            if (n.contains("text_preview")) indented(out, n.value("text_preview", ""), "    | ");
        }
    }
    if (const auto* parts = b ? get_value(*b, "/parts") : nullptr; parts && parts->is_array()) {
        out << "  multipart parts:";
        std::size_t i = 0;
        for (const auto& p : *parts) {
            out << (i ? ", " : " ") << "#" << i << " @" << p.value("offset", 0) << " +"
                << p.value("length", 0);
            ++i;
        }
        out << "\n";
    }
    for (const char* key : {"/autodiscover_request", "/autodiscover_response"}) {
        if (const auto* ad = b ? get_value(*b, key) : nullptr) {
            out << "  " << (key + 1) << ":\n";
            indented(out, dump_json(*ad, 2), "    ");
        }
    }
}

void eas_view(std::ostream& out, const json& r, const Summary& s) {
    const auto* eas = get_object(r, "/request/eas");
    if (!eas) return;
    const json none = json::array();
    const auto* hl = get_value(r, "/request/headers");
    const json& hdrs = hl ? *hl : none;
    auto command = get_string(*eas, "/command").value_or("");
    if (auto code = get_int(*eas, "/command_code"))
        command += " (code " + std::to_string(*code) + ")";
    field(out, "EAS command", command.empty() ? "-" : command);
    field(out, "User",
          s.user.empty()     ? "-"
          : s.user_from_auth ? s.user + " (from the Authorization header)"
                             : s.user);
    std::string device = get_string(*eas, "/device_id").value_or("");
    if (const auto it = eas->find("binary_device_id");
        it != eas->end() && it->is_boolean() && it->get<bool>())
        device += " (binary, shown as hex)";
    if (auto type = get_string(*eas, "/device_type"); type && !type->empty())
        device += " (" + *type + ")";
    field(out, "Device", device.empty() ? "-" : device);
    // The base64 query form carries version and policy key; the plain form sends headers.
    if (auto v = get_string(*eas, "/protocol_version"))
        field(out, "Protocol", *v + " (in the query)");
    else if (auto h = header_value(hdrs, "MS-ASProtocolVersion"))
        field(out, "Protocol", *h + " (MS-ASProtocolVersion header)");
    if (auto k = get_int(*eas, "/policy_key"))
        field(out, "Policy key", std::to_string(*k) + " (in the query)");
    else if (auto h = header_value(hdrs, "X-MS-PolicyKey"))
        field(out, "Policy key", *h + " (X-MS-PolicyKey header)");
    if (auto l = get_int(*eas, "/locale")) field(out, "Locale", std::to_string(*l));
    field(out, "Query form", get_string(*eas, "/form").value_or("-"));
    if (const auto* params = get_value(*eas, "/parameters");
        params && params->is_array() && !params->empty()) {
        std::string text;
        for (const auto& p : *params)
            text += (text.empty() ? "" : ", ") + p.value("name", std::string()) + "=" +
                    p.value("value", std::string());
        field(out, "Parameters", text);
    }
    for (const char* flag : {"save_in_sent", "accept_multipart"}) {
        if (const auto it = eas->find(flag); it != eas->end() && it->is_boolean())
            field(out, flag, it->get<bool>() ? "yes" : "no");
    }
    if (auto ua = header_value(hdrs, "User-Agent")) field(out, "User-Agent", *ua);
    if (const auto* w = get_value(*eas, "/warnings"); w && w->is_array()) {
        for (const auto& text : *w)
            if (text.is_string()) field(out, "Warning", text.get<std::string>());
    }
    if (const auto* e = get_object(*eas, "/error")) field(out, "Query error", dump_json(*e));
}

void timings(std::ostream& out, const json& r) {
    const auto* t = get_object(r, "/timings_ms");
    if (!t) return;
    out << "\n== Timings (ms from the start of the flow)\n";
    const std::pair<const char*, const char*> names[] = {{"upstream_queue", "Queue"},
                                                         {"upstream_connect", "Connect"},
                                                         {"first_response_byte", "First byte"},
                                                         {"total", "Total"}};
    for (const auto& [key, label] : names) {
        if (auto v = get_number(*t, (std::string("/") + key).c_str()))
            field(out, label, human_ms(*v));
    }
}

}  // namespace

std::string show_text(const Record& rec, bool raw) {
    const auto& r = *rec.json;
    const auto& s = *rec.summary;
    std::ostringstream out;
    out << "Flow " << rec.number << "  (" << *rec.file << ":" << rec.line;
    if (s.id) out << ", easproxy flow id " << *s.id;
    out << ")\n";
    field(out, "Time", s.time.empty() ? "-" : s.time);
    field(out, "Client", s.client.empty() ? "-" : s.client);
    field(out, "Upstream", s.upstream.empty() ? "-" : s.upstream);
    field(out, "URL", har_url(s.upstream, s.target));

    out << "\n== Request\n" << s.method << " " << s.target << "\n";
    eas_view(out, r, s);
    headers(out, get_value(r, "/request/headers"));
    body(out, get_object(r, "/request/body"), get_value(r, "/request/headers"), true, raw);

    out << "\n== Response\n";
    if (const auto* resp = get_object(r, "/response")) {
        out << (s.http_status ? std::to_string(*s.http_status) : "?") << " "
            << get_string(*resp, "/reason").value_or("");
        if (auto meaning = get_string(*resp, "/status_meaning")) out << "  (" << *meaning << ")";
        out << "\n";
        if (s.eas_status)
            field(out, "EAS Status", std::to_string(*s.eas_status) + " " + s.eas_words);
        headers(out, get_value(*resp, "/headers"));
        body(out, get_object(*resp, "/body"), get_value(*resp, "/headers"), false, raw);
    } else if (s.answered) {
        out << "none from the upstream; easproxy answered " << *s.answered << " itself\n";
    } else {
        out << "none\n";
    }

    timings(out, r);
    if (const auto* rd = get_object(r, "/redirect")) {
        out << "\n== Redirect (HTTP 451)\n";
        field(out, "X-MS-Location", get_string(*rd, "/x_ms_location").value_or("-"));
        field(out, "Decision", get_string(*rd, "/decision").value_or("-"));
        if (const auto* chain = get_value(*rd, "/answered_451"); chain && chain->is_array()) {
            for (const auto& u : *chain)
                if (u.is_string()) field(out, "Answered 451", u.get<std::string>());
        }
        if (auto sent = get_string(*rd, "/sent_to_device")) field(out, "Sent to device", *sent);
    }
    if (const auto* e = get_object(r, "/error")) {
        out << "\n== Error\n";
        field(out, "Stage", get_string(*e, "/stage").value_or("-"));
        field(out, "Reason", get_string(*e, "/reason").value_or("-"));
        if (auto a = get_int(*e, "/answered"))
            field(out, "Answered", std::to_string(*a) + " (by easproxy)");
    }
    return out.str();
}

int run_show(TraceReader& reader, const ShowOptions& o, std::ostream& out, std::ostream& err) {
    bool shown = false;
    std::size_t matches = 0;
    std::size_t shown_number = 0;
    std::string shown_where;
    auto same_file = [&o](const std::string& f) {
        return o.file.empty() || f == o.file ||
               std::filesystem::path(f).filename() == std::filesystem::path(o.file).filename();
    };
    auto render = [&o](const Record& r) {
        if (!o.redactor) return show_text(r, o.raw);
        const RedactedRecord redacted(r, *o.redactor);
        return show_text(redacted.record(), o.raw);
    };
    reader.read([&](const Record& r) {
        if (o.number) {
            if (r.number != *o.number) return true;
            out << render(r);
            shown = true;
            return false;
        }
        if (!r.summary->id || *r.summary->id != *o.id || !same_file(*r.file)) return true;
        ++matches;
        if (!shown) {
            out << render(r);
            shown = true;
            shown_number = r.number;
            shown_where = *r.file + ":" + std::to_string(r.line);
        }
        return true;  // go on: the same id in another run's records is worth a warning
    });
    out.flush();
    const int status = reader.finish();
    if (!shown) {
        if (o.number) {
            err << "eas-trace: flow " << *o.number << " is out of range: the input holds "
                << reader.records() << (reader.records() == 1 ? " flow" : " flows")
                << " (N counts the records of all files given, in order, from 1)\n";
        } else {
            err << "eas-trace: no flow with id " << *o.id
                << (o.file.empty() ? std::string() : " in " + o.file) << "\n";
        }
        return kExitError;
    }
    if (matches > 1) {
        err << "eas-trace: id " << *o.id << " matches " << matches
            << " flows (ids restart with each easproxy run); shown: the first, flow "
            << shown_number << " at " << shown_where << " (use --file, or show N)\n";
    }
    return status;
}

}  // namespace eas::trace
