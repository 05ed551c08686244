#include "record.hpp"

#include "ascii.hpp"
#include "base64.hpp"
#include "iso_time.hpp"

namespace eas::trace {
namespace {

// Walks "/a/b/c" through objects only: the trace has no arrays on the paths read this way.
const nlohmann::json* find(const nlohmann::json& j, std::string_view pointer) {
    const nlohmann::json* at = &j;
    while (!pointer.empty()) {
        if (pointer.front() == '/') pointer.remove_prefix(1);
        const auto slash = pointer.find('/');
        const auto key = pointer.substr(0, slash);
        if (!at->is_object()) return nullptr;
        const auto it = at->find(key);
        if (it == at->end()) return nullptr;
        at = &*it;
        pointer = slash == std::string_view::npos ? std::string_view{} : pointer.substr(slash);
    }
    return at;
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 1,
// column 17: "; the column is worth keeping, the rest is noise in a one-line report.
std::string parse_error_words(const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    const auto colon = what.find(": ", what.find("parse error"));
    if (colon != std::string::npos) what = what.substr(colon + 2);
    return what + " (at byte " + std::to_string(e.byte) + ")";
}

}  // namespace

std::optional<std::string> get_string(const nlohmann::json& j, const char* pointer) {
    const auto* v = find(j, pointer);
    if (!v || !v->is_string()) return std::nullopt;
    return v->get<std::string>();
}

std::optional<std::int64_t> get_int(const nlohmann::json& j, const char* pointer) {
    const auto* v = find(j, pointer);
    if (!v || !v->is_number_integer()) return std::nullopt;
    return v->get<std::int64_t>();
}

std::optional<double> get_number(const nlohmann::json& j, const char* pointer) {
    const auto* v = find(j, pointer);
    if (!v || !v->is_number()) return std::nullopt;
    return v->get<double>();
}

const nlohmann::json* get_object(const nlohmann::json& j, const char* pointer) {
    const auto* v = find(j, pointer);
    return v && v->is_object() ? v : nullptr;
}

const nlohmann::json* get_value(const nlohmann::json& j, const char* pointer) {
    return find(j, pointer);
}

std::string dump_json(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::string> header_value(const nlohmann::json& headers, std::string_view name) {
    if (!headers.is_array()) return std::nullopt;
    for (const auto& h : headers) {
        if (h.is_array() && h.size() == 2 && h[0].is_string() && h[1].is_string() &&
            iequals(h[0].get_ref<const std::string&>(), name))
            return h[1].get<std::string>();
    }
    return std::nullopt;
}

std::string authorization_user(std::string_view value) {
    value = trim(value);
    const std::string_view marker = "(user ";
    if (const auto at = value.find(marker); at != std::string_view::npos) {
        auto rest = value.substr(at + marker.size());
        return std::string(rest.substr(0, rest.rfind(')')));
    }
    if (!istarts_with(value, "Basic ")) return "";
    const auto decoded = base64_decode(trim(value.substr(6)));
    if (!decoded) return "";
    return decoded->substr(0, decoded->find(':'));
}

int Summary::device_status() const {
    if (http_status) return *http_status;
    if (answered) return *answered;
    return 0;
}

bool Summary::saw_451() const {
    return has_redirect || http_status == 451;
}

Summary summarize(const nlohmann::json& r) {
    Summary s;
    s.id = get_int(r, "/id");
    s.time = get_string(r, "/time").value_or("");
    if (auto span = parse_iso8601(s.time)) s.time_ms = span->begin;
    s.client = get_string(r, "/client").value_or("");
    s.upstream = get_string(r, "/upstream").value_or("");
    s.method = get_string(r, "/request/method").value_or("");
    s.target = get_string(r, "/request/target").value_or("");
    s.user = get_string(r, "/request/eas/user").value_or("");
    if (s.user.empty()) {
        if (const auto* headers = find(r, "/request/headers")) {
            if (auto auth = header_value(*headers, "Authorization")) {
                s.user = authorization_user(*auth);
                s.user_from_auth = !s.user.empty();
            }
        }
    }
    s.device_id = get_string(r, "/request/eas/device_id").value_or("");
    s.device_type = get_string(r, "/request/eas/device_type").value_or("");
    s.command = get_string(r, "/request/eas/command").value_or("");
    if (s.command.empty()) s.command = s.method;
    if (auto v = get_int(r, "/response/status")) s.http_status = static_cast<int>(*v);
    if (auto v = get_int(r, "/error/answered")) s.answered = static_cast<int>(*v);
    if (auto v = get_int(r, "/response/eas_status/value")) s.eas_status = static_cast<int>(*v);
    s.eas_words = get_string(r, "/response/eas_status/words").value_or("");
    s.total_ms = get_number(r, "/timings_ms/total");
    if (auto v = get_int(r, "/request/body/bytes"); v && *v > 0)
        s.bytes_up = static_cast<std::uint64_t>(*v);
    if (auto v = get_int(r, "/response/body/bytes"); v && *v > 0)
        s.bytes_down = static_cast<std::uint64_t>(*v);
    if (get_object(r, "/redirect")) {
        s.has_redirect = true;
        s.redirect_decision = get_string(r, "/redirect/decision").value_or("");
        s.x_ms_location = get_string(r, "/redirect/x_ms_location").value_or("");
        s.sent_to_device = get_string(r, "/redirect/sent_to_device").value_or("");
    }
    if (get_object(r, "/error")) {
        s.has_error = true;
        s.error_stage = get_string(r, "/error/stage").value_or("");
        s.error_reason = get_string(r, "/error/reason").value_or("");
    }
    return s;
}

ParsedLine parse_line(std::string_view line) {
    ParsedLine out;
    if (trim(line).empty()) {
        out.error = "empty line";
        return out;
    }
    try {
        out.json = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
        out.error = "not JSON: " + parse_error_words(e);
        return out;
    }
    if (!out.json.is_object()) {
        out.error =
            "not a trace record (a JSON " + std::string(out.json.type_name()) + ", not an object)";
        return out;
    }
    const auto v = out.json.find("v");
    if (v == out.json.end()) {
        out.error = "not a trace record (no \"v\" schema version)";
        return out;
    }
    if (!v->is_number_integer() || v->get<std::int64_t>() != kSchemaVersion) {
        out.error = "schema version " + dump_json(*v) + " is not supported (eas-trace reads " +
                    std::to_string(kSchemaVersion) + ")";
        return out;
    }
    out.summary = summarize(out.json);
    return out;
}

}  // namespace eas::trace
