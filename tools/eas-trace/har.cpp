#include "har.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <vector>

#include "ascii.hpp"
#include "har_body.hpp"
#include "record.hpp"
#include "redact.hpp"

namespace eas::trace {
namespace {

using nlohmann::json;

double round3(double v) {
    return std::round(v * 1000) / 1000;
}

// Header list as HAR wants it, credentials redacted unless kept.
json har_headers(const json* headers, const HarOptions& o) {
    auto out = json::array();
    if (!headers || !headers->is_array()) return out;
    for (const auto& h : *headers) {
        if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string()) continue;
        const auto& name = h[0].get_ref<const std::string&>();
        const auto& value = h[1].get_ref<const std::string&>();
        out.push_back(
            {{"name", name}, {"value", o.keep_secrets ? value : redact_header_value(name, value)}});
    }
    return out;
}

// "Wed, 21 Oct 2026 07:28:00 GMT" (a cookie's Expires) as HAR's ISO 8601; nothing when the
// date is in another form (HAR leaves expires out then rather than carry it wrong).
std::optional<std::string> http_date_to_iso(std::string_view text) {
    const std::string s(text);
    std::tm tm{};
    const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
    if (!end) return std::nullopt;
    char buf[80];  // room for any int, as the compiler wants
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.000Z", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(buf);
}

// Cookies from the (already redacted) Cookie or Set-Cookie headers of the HAR header list.
json har_cookies(const json& headers, bool response) {
    auto out = json::array();
    for (const auto& h : headers) {
        const auto& name = h["name"].get_ref<const std::string&>();
        if (!iequals(name, response ? "Set-Cookie" : "Cookie")) continue;
        std::string_view value = h["value"].get_ref<const std::string&>();
        bool first = true;
        json* cookie = nullptr;
        while (!value.empty()) {
            const auto semi = value.find(';');
            const auto part = trim(value.substr(0, semi));
            value = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
            if (part.empty()) continue;
            const auto eq = part.find('=');
            const auto key = trim(part.substr(0, eq));
            const auto val =
                eq == std::string_view::npos ? std::string_view{} : trim(part.substr(eq + 1));
            if (!response || first) {
                if (eq == std::string_view::npos) continue;  // "[redacted]" alone names nothing
                out.push_back({{"name", std::string(key)}, {"value", std::string(val)}});
                cookie = &out.back();
            } else if (cookie) {
                // Set-Cookie attributes HAR has fields for.
                if (iequals(key, "Path")) (*cookie)["path"] = std::string(val);
                if (iequals(key, "Domain")) (*cookie)["domain"] = std::string(val);
                if (iequals(key, "Expires")) {
                    if (auto iso = http_date_to_iso(val)) (*cookie)["expires"] = *iso;
                }
                if (iequals(key, "HttpOnly")) (*cookie)["httpOnly"] = true;
                if (iequals(key, "Secure")) (*cookie)["secure"] = true;
            }
            first = false;
        }
    }
    return out;
}

std::string header_or_empty(const json& har_headers_list, std::string_view name) {
    for (const auto& h : har_headers_list) {
        if (iequals(h["name"].get_ref<const std::string&>(), name))
            return h["value"].get<std::string>();
    }
    return "";
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 413:
            return "Content Too Large";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "";
    }
}

bool is_ipv4(std::string_view host) {
    if (host.empty()) return false;
    int dots = 0;
    for (char c : host) {
        if (c == '.')
            ++dots;
        else if (c < '0' || c > '9')
            return false;
    }
    return dots == 3;
}

// The upstream's address when it is written as one (serverIPAddress must be an IP).
std::optional<std::string> server_ip(std::string_view upstream) {
    auto authority = upstream.substr(
        upstream.find("://") == std::string_view::npos ? 0 : upstream.find("://") + 3);
    authority = authority.substr(0, authority.find('/'));
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        return std::string(authority.substr(1, close - 1));
    }
    const auto host = authority.substr(0, authority.find(':'));
    if (is_ipv4(host)) return std::string(host);
    return std::nullopt;
}

}  // namespace

std::string har_url(std::string_view upstream, std::string_view target) {
    if (istarts_with(target, "http://") || istarts_with(target, "https://"))
        return std::string(target);
    std::string origin(upstream);
    while (!origin.empty() && origin.back() == '/') origin.pop_back();
    if (target.empty() || target.front() != '/') origin += '/';
    return origin + std::string(target);
}

json har_query_string(std::string_view target) {
    auto out = json::array();
    const auto q = target.find('?');
    if (q == std::string_view::npos) return out;
    auto query = target.substr(q + 1);
    query = query.substr(0, query.find('#'));
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        const auto name = percent_decode(pair.substr(0, eq));
        const auto value =
            eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
        out.push_back({{"name", name}, {"value", value}});
    }
    return out;
}

json har_timings(const json& t, double* time) {
    auto number = [&t](const char* key) -> std::optional<double> {
        if (!t.is_object()) return std::nullopt;
        const auto it = t.find(key);
        if (it == t.end() || !it->is_number()) return std::nullopt;
        return std::max(0.0, it->get<double>());
    };
    const auto queue = number("upstream_queue");
    const auto connect = number("upstream_connect");
    const auto first_byte = number("first_response_byte");
    const auto total = number("total");
    const double before = queue.value_or(0) + connect.value_or(0);
    double wait = 0, receive = 0;
    if (first_byte) {
        wait = std::max(0.0, *first_byte - before);
        receive = total ? std::max(0.0, *total - *first_byte) : 0;
    } else if (total) {
        wait = std::max(0.0, *total - before);
    }
    json out = {{"blocked", queue ? round3(*queue) : -1},
                {"dns", -1},
                {"connect", connect ? round3(*connect) : -1},
                {"ssl", -1},
                {"send", 0},
                {"wait", round3(wait)},
                {"receive", round3(receive)}};
    if (time) {
        double sum = 0;
        for (const auto& [key, value] : out.items()) {
            if (value.get<double>() > 0) sum += value.get<double>();
        }
        *time = round3(sum);
    }
    return out;
}

json har_entry(const Record& r, const HarOptions& o) {
    const auto& j = *r.json;
    const auto& s = *r.summary;
    const json empty_array = json::array();
    const auto* req_headers_json = get_value(j, "/request/headers");
    if (!req_headers_json) req_headers_json = &empty_array;
    const auto* resp = get_object(j, "/response");

    // --- request ---
    json req_headers = har_headers(req_headers_json, o);
    json request = {{"method", s.method.empty() ? "GET" : s.method},
                    {"url", har_url(s.upstream, s.target)},
                    {"httpVersion", "HTTP/1.1"},
                    {"cookies", har_cookies(req_headers, false)},
                    {"headers", req_headers},
                    {"queryString", har_query_string(s.target)},
                    {"headersSize", -1},
                    {"bodySize", static_cast<std::int64_t>(s.bytes_up)}};
    const auto* req_body = get_object(j, "/request/body");
    if (s.bytes_up > 0 || iequals(s.method, "POST") || iequals(s.method, "PUT")) {
        const auto ct = header_value(*req_headers_json, "Content-Type").value_or("");
        const auto ce = header_value(*req_headers_json, "Content-Encoding").value_or("");
        auto body = har_body(req_body, ct, ce, true, o);
        json post = {{"mimeType", body.mime_type}, {"text", body.text.value_or("")}};
        // HAR 1.2's postData has no encoding field; binary bodies say so here instead.
        if (body.base64) post["_encoding"] = "base64";
        post.update(body.custom);
        request["postData"] = std::move(post);
    }

    // --- response ---
    json response;
    if (resp) {
        json resp_headers = har_headers(get_value(*resp, "/headers"), o);
        const auto ct = header_or_empty(resp_headers, "Content-Type");
        const auto ce = header_or_empty(resp_headers, "Content-Encoding");
        auto body = har_body(get_object(*resp, "/body"), ct, ce, false, o);
        json content = {{"size", static_cast<std::int64_t>(s.bytes_down)},
                        {"mimeType", body.mime_type}};
        if (body.text) content["text"] = *body.text;
        if (body.base64) content["encoding"] = "base64";
        content.update(body.custom);
        std::string redirect_url;
        if (s.device_status() == 451)
            redirect_url = header_or_empty(resp_headers, "X-MS-Location");
        else if (s.device_status() >= 300 && s.device_status() < 400)
            redirect_url = header_or_empty(resp_headers, "Location");
        response = {{"status", s.http_status.value_or(0)},
                    {"statusText", get_string(*resp, "/reason").value_or("")},
                    {"httpVersion", "HTTP/1.1"},
                    {"cookies", har_cookies(resp_headers, true)},
                    {"headers", resp_headers},
                    {"content", content},
                    {"redirectURL", redirect_url},
                    {"headersSize", -1},
                    {"bodySize", static_cast<std::int64_t>(s.bytes_down)}};
        if (auto meaning = get_string(*resp, "/status_meaning"))
            response["_statusMeaning"] = *meaning;
    } else {
        // No upstream answer: easproxy answered itself (502, 504...) or nobody did.
        const int status = s.answered.value_or(0);
        std::string note = status ? "easproxy answered " + std::to_string(status) +
                                        " itself; the trace keeps its reason in _error, not "
                                        "its body"
                                  : "no response reached the device (see _error)";
        response = {{"status", status},
                    {"statusText", std::string(reason_phrase(status))},
                    {"httpVersion", "HTTP/1.1"},
                    {"cookies", json::array()},
                    {"headers", json::array()},
                    {"content", {{"size", 0}, {"mimeType", "x-unknown"}, {"_note", note}}},
                    {"redirectURL", ""},
                    {"headersSize", -1},
                    {"bodySize", -1}};
    }

    // --- entry ---
    double time = 0;
    const auto* timings_json = get_object(j, "/timings_ms");
    json timings = har_timings(timings_json ? *timings_json : json::object(), &time);
    std::string started = s.time;
    if (!s.time_ms) started = "1970-01-01T00:00:00.000Z";  // HAR needs one; _time says why
    json entry = {{"startedDateTime", started},    {"time", time},
                  {"request", std::move(request)}, {"response", std::move(response)},
                  {"cache", json::object()},       {"timings", std::move(timings)}};
    if (auto ip = server_ip(s.upstream)) entry["serverIPAddress"] = *ip;
    // The device's port: flows on one keep-alive connection share it.
    if (const auto colon = s.client.rfind(':'); colon != std::string::npos)
        entry["connection"] = s.client.substr(colon + 1);
    if (!s.time_ms) entry["_time"] = s.time;
    entry["_flow"] = r.number;
    entry["_source"] = *r.file + ":" + std::to_string(r.line);
    if (s.id) entry["_id"] = *s.id;
    entry["_client"] = s.client;
    entry["_upstream"] = s.upstream;
    if (const auto* eas = get_object(j, "/request/eas")) entry["_eas"] = *eas;
    if (const auto* st = get_object(j, "/response/eas_status")) entry["_easStatus"] = *st;
    if (const auto* rd = get_object(j, "/redirect")) entry["_redirect"] = *rd;
    if (const auto* err = get_object(j, "/error")) entry["_error"] = *err;
    if (timings_json) entry["_timingsMs"] = *timings_json;
    return entry;
}

}  // namespace eas::trace
