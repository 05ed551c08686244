// har_check FILE: checks a HAR file against the structure of HAR 1.2
// (http://www.softwareishard.com/blog/har-12-spec/): every required field present with its
// JSON type, optional ones typed when present, no field outside the spec unless it starts
// with "_" (the spec's rule for custom fields), timings that add up to the entry's time, and
// base64 content that decodes. The eas-trace integration test runs it on every export; it is
// C++ so the test needs no Python.
//
// Exit status: 0 valid, 1 invalid (each problem printed with its JSON path), 2 unreadable.
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

enum class Type { String, Integer, Number, Boolean, Object, Array, ObjectOrNull };

const char* type_name(Type t) {
    switch (t) {
        case Type::String:
            return "a string";
        case Type::Integer:
            return "an integer";
        case Type::Number:
            return "a number";
        case Type::Boolean:
            return "a boolean";
        case Type::Object:
            return "an object";
        case Type::Array:
            return "an array";
        case Type::ObjectOrNull:
            return "an object or null";
    }
    return "?";
}

bool has_type(const json& v, Type t) {
    switch (t) {
        case Type::String:
            return v.is_string();
        case Type::Integer:
            return v.is_number_integer();
        case Type::Number:
            return v.is_number();
        case Type::Boolean:
            return v.is_boolean();
        case Type::Object:
            return v.is_object();
        case Type::Array:
            return v.is_array();
        case Type::ObjectOrNull:
            return v.is_object() || v.is_null();
    }
    return false;
}

struct Field {
    Type type;
    bool required;
};
using Shape = std::map<std::string, Field>;

class Checker {
  public:
    std::size_t problems() const { return problems_; }

    void problem(const std::string& path, const std::string& what) {
        ++problems_;
        if (problems_ <= 50) std::cout << path << ": " << what << "\n";
        if (problems_ == 51) std::cout << "... (more problems not shown)\n";
    }

    // The fields of an object against its shape. True when it is an object at all.
    bool object(const json& v, const std::string& path, const Shape& shape) {
        if (!v.is_object()) {
            problem(path, "expected an object");
            return false;
        }
        for (const auto& [name, f] : shape) {
            const auto it = v.find(name);
            if (it == v.end()) {
                if (f.required) problem(path + "." + name, "required field missing");
                continue;
            }
            if (!has_type(*it, f.type))
                problem(path + "." + name, std::string("expected ") + type_name(f.type) +
                                               ", found " + it->type_name());
        }
        for (const auto& [name, value] : v.items()) {
            if (shape.count(name) == 0 && (name.empty() || name[0] != '_'))
                problem(path + "." + name, "not a HAR 1.2 field (custom fields start with _)");
        }
        return true;
    }

    void each(const json& v, const std::string& path,
              const std::function<void(const json&, const std::string&)>& check) {
        if (!v.is_array()) return;  // the type was reported by object()
        for (std::size_t i = 0; i < v.size(); ++i)
            check(v[i], path + "[" + std::to_string(i) + "]");
    }

    void at_least(const json& v, const std::string& path, double min) {
        if (v.is_number() && v.get<double>() < min)
            problem(path, "must be at least " + std::to_string(static_cast<int>(min)));
    }

    void iso8601(const json& v, const std::string& path) {
        static const std::regex kIso(
            R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$)");
        if (v.is_string() && !std::regex_match(v.get<std::string>(), kIso))
            problem(path, "not an ISO 8601 date and time: " + v.get<std::string>());
    }

  private:
    std::size_t problems_ = 0;
};

const Shape kCreator = {{"name", {Type::String, true}},
                        {"version", {Type::String, true}},
                        {"comment", {Type::String, false}}};
const Shape kLog = {{"version", {Type::String, true}},  {"creator", {Type::Object, true}},
                    {"browser", {Type::Object, false}}, {"pages", {Type::Array, false}},
                    {"entries", {Type::Array, true}},   {"comment", {Type::String, false}}};
const Shape kPage = {{"startedDateTime", {Type::String, true}},
                     {"id", {Type::String, true}},
                     {"title", {Type::String, true}},
                     {"pageTimings", {Type::Object, true}},
                     {"comment", {Type::String, false}}};
const Shape kPageTimings = {{"onContentLoad", {Type::Number, false}},
                            {"onLoad", {Type::Number, false}},
                            {"comment", {Type::String, false}}};
const Shape kEntry = {
    {"pageref", {Type::String, false}},    {"startedDateTime", {Type::String, true}},
    {"time", {Type::Number, true}},        {"request", {Type::Object, true}},
    {"response", {Type::Object, true}},    {"cache", {Type::Object, true}},
    {"timings", {Type::Object, true}},     {"serverIPAddress", {Type::String, false}},
    {"connection", {Type::String, false}}, {"comment", {Type::String, false}}};
const Shape kRequest = {
    {"method", {Type::String, true}},      {"url", {Type::String, true}},
    {"httpVersion", {Type::String, true}}, {"cookies", {Type::Array, true}},
    {"headers", {Type::Array, true}},      {"queryString", {Type::Array, true}},
    {"postData", {Type::Object, false}},   {"headersSize", {Type::Integer, true}},
    {"bodySize", {Type::Integer, true}},   {"comment", {Type::String, false}}};
const Shape kResponse = {
    {"status", {Type::Integer, true}},     {"statusText", {Type::String, true}},
    {"httpVersion", {Type::String, true}}, {"cookies", {Type::Array, true}},
    {"headers", {Type::Array, true}},      {"content", {Type::Object, true}},
    {"redirectURL", {Type::String, true}}, {"headersSize", {Type::Integer, true}},
    {"bodySize", {Type::Integer, true}},   {"comment", {Type::String, false}}};
const Shape kCookie = {{"name", {Type::String, true}},     {"value", {Type::String, true}},
                       {"path", {Type::String, false}},    {"domain", {Type::String, false}},
                       {"expires", {Type::String, false}}, {"httpOnly", {Type::Boolean, false}},
                       {"secure", {Type::Boolean, false}}, {"comment", {Type::String, false}}};
const Shape kNameValue = {{"name", {Type::String, true}},
                          {"value", {Type::String, true}},
                          {"comment", {Type::String, false}}};
const Shape kPostData = {{"mimeType", {Type::String, true}},
                         {"params", {Type::Array, false}},
                         {"text", {Type::String, false}},
                         {"comment", {Type::String, false}}};
const Shape kParam = {{"name", {Type::String, true}},
                      {"value", {Type::String, false}},
                      {"fileName", {Type::String, false}},
                      {"contentType", {Type::String, false}},
                      {"comment", {Type::String, false}}};
const Shape kContent = {
    {"size", {Type::Integer, true}},     {"compression", {Type::Integer, false}},
    {"mimeType", {Type::String, true}},  {"text", {Type::String, false}},
    {"encoding", {Type::String, false}}, {"comment", {Type::String, false}}};
const Shape kCache = {{"beforeRequest", {Type::ObjectOrNull, false}},
                      {"afterRequest", {Type::ObjectOrNull, false}},
                      {"comment", {Type::String, false}}};
const Shape kCacheEntry = {{"expires", {Type::String, false}},
                           {"lastAccess", {Type::String, true}},
                           {"eTag", {Type::String, true}},
                           {"hitCount", {Type::Integer, true}},
                           {"comment", {Type::String, false}}};
const Shape kTimings = {{"blocked", {Type::Number, false}}, {"dns", {Type::Number, false}},
                        {"connect", {Type::Number, false}}, {"send", {Type::Number, true}},
                        {"wait", {Type::Number, true}},     {"receive", {Type::Number, true}},
                        {"ssl", {Type::Number, false}},     {"comment", {Type::String, false}}};

bool valid_base64(const std::string& s) {
    std::size_t n = 0, pad = 0;
    for (char c : s) {
        if (c == '\r' || c == '\n') continue;
        if (c == '=') {
            ++pad;
        } else if (pad > 0 ||
                   !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) {
            return false;
        }
        ++n;
    }
    return n % 4 == 0 && pad <= 2;
}

void check_headers_like(Checker& c, const json& list, const std::string& path) {
    c.each(list, path, [&](const json& h, const std::string& p) { c.object(h, p, kNameValue); });
}

void check_cookies(Checker& c, const json& list, const std::string& path) {
    c.each(list, path, [&](const json& v, const std::string& p) {
        if (c.object(v, p, kCookie) && v.contains("expires"))
            c.iso8601(v["expires"], p + ".expires");
    });
}

void check_request(Checker& c, const json& r, const std::string& path) {
    if (!c.object(r, path, kRequest)) return;
    static const std::regex kAbsolute(R"(^[A-Za-z][A-Za-z0-9+.-]*://[^#]*$)");
    if (r.contains("url") && r["url"].is_string() &&
        !std::regex_match(r["url"].get<std::string>(), kAbsolute))
        c.problem(path + ".url", "not an absolute URL without fragment");
    if (r.contains("cookies")) check_cookies(c, r["cookies"], path + ".cookies");
    if (r.contains("headers")) check_headers_like(c, r["headers"], path + ".headers");
    if (r.contains("queryString")) check_headers_like(c, r["queryString"], path + ".queryString");
    if (r.contains("postData") && c.object(r["postData"], path + ".postData", kPostData)) {
        const auto& pd = r["postData"];
        if (pd.contains("params"))
            c.each(pd["params"], path + ".postData.params",
                   [&](const json& v, const std::string& p) { c.object(v, p, kParam); });
    }
    if (r.contains("headersSize")) c.at_least(r["headersSize"], path + ".headersSize", -1);
    if (r.contains("bodySize")) c.at_least(r["bodySize"], path + ".bodySize", -1);
}

void check_response(Checker& c, const json& r, const std::string& path) {
    if (!c.object(r, path, kResponse)) return;
    if (r.contains("status")) c.at_least(r["status"], path + ".status", 0);
    if (r.contains("cookies")) check_cookies(c, r["cookies"], path + ".cookies");
    if (r.contains("headers")) check_headers_like(c, r["headers"], path + ".headers");
    if (r.contains("content") && c.object(r["content"], path + ".content", kContent)) {
        const auto& content = r["content"];
        c.at_least(content.value("size", json(0)), path + ".content.size", 0);
        if (content.contains("encoding") && content["encoding"] == "base64" &&
            content.contains("text") && content["text"].is_string() &&
            !valid_base64(content["text"].get<std::string>()))
            c.problem(path + ".content.text", "encoding is base64 but the text is not base64");
    }
    if (r.contains("headersSize")) c.at_least(r["headersSize"], path + ".headersSize", -1);
    if (r.contains("bodySize")) c.at_least(r["bodySize"], path + ".bodySize", -1);
}

void check_timings(Checker& c, const json& t, const json& entry, const std::string& path) {
    if (!c.object(t, path, kTimings)) return;
    double sum = 0;
    for (const char* key : {"blocked", "dns", "connect", "ssl"}) {
        if (!t.contains(key) || !t[key].is_number()) continue;
        c.at_least(t[key], path + "." + key, -1);  // -1: not applicable
        if (t[key].get<double>() > 0 && std::string(key) != "ssl") sum += t[key].get<double>();
    }
    for (const char* key : {"send", "wait", "receive"}) {
        if (!t.contains(key) || !t[key].is_number()) continue;
        c.at_least(t[key], path + "." + key, 0);  // never -1 (the spec)
        sum += std::max(0.0, t[key].get<double>());
    }
    // ssl is part of connect, so it is not added again; and connect must hold it.
    if (t.contains("ssl") && t.contains("connect") && t["ssl"].is_number() &&
        t["connect"].is_number() && t["ssl"].get<double>() > 0 &&
        t["connect"].get<double>() < t["ssl"].get<double>())
        c.problem(path + ".ssl", "larger than connect, which includes it");
    if (entry.contains("time") && entry["time"].is_number()) {
        const double time = entry["time"].get<double>();
        if (time < 0) c.problem(path, "entry time is negative");
        if (std::fabs(time - sum) > 0.01 + 1e-6 * time)
            c.problem(path, "entry time " + std::to_string(time) +
                                " is not the sum of the timings (" + std::to_string(sum) + ")");
    }
}

void check_entry(Checker& c, const json& e, const std::string& path,
                 const std::set<std::string>& page_ids) {
    if (!c.object(e, path, kEntry)) return;
    if (e.contains("startedDateTime")) c.iso8601(e["startedDateTime"], path + ".startedDateTime");
    if (e.contains("pageref") && e["pageref"].is_string() &&
        page_ids.count(e["pageref"].get<std::string>()) == 0)
        c.problem(path + ".pageref", "names no page");
    if (e.contains("request")) check_request(c, e["request"], path + ".request");
    if (e.contains("response")) check_response(c, e["response"], path + ".response");
    if (e.contains("cache") && c.object(e["cache"], path + ".cache", kCache)) {
        for (const char* key : {"beforeRequest", "afterRequest"}) {
            if (e["cache"].contains(key) && e["cache"][key].is_object())
                c.object(e["cache"][key], path + ".cache." + key, kCacheEntry);
        }
    }
    if (e.contains("timings")) check_timings(c, e["timings"], e, path + ".timings");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 || std::string(argv[1]) == "--help") {
        std::cerr << "usage: har_check FILE.har  (checks HAR 1.2 structure; exit 0 valid, 1 "
                     "invalid, 2 unreadable)\n";
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::cerr << "har_check: " << argv[1] << ": cannot open\n";
        return 2;
    }
    json har;
    try {
        har = json::parse(in);
    } catch (const json::parse_error& e) {
        std::cerr << "har_check: " << argv[1] << ": not JSON: " << e.what() << "\n";
        return 2;
    }
    Checker c;
    if (c.object(har, "$", {{"log", {Type::Object, true}}}) && har.contains("log") &&
        c.object(har["log"], "$.log", kLog)) {
        const auto& log = har["log"];
        if (log.contains("version") && log["version"] != "1.2")
            c.problem("$.log.version", "expected \"1.2\"");
        if (log.contains("creator")) c.object(log["creator"], "$.log.creator", kCreator);
        if (log.contains("browser")) c.object(log["browser"], "$.log.browser", kCreator);
        std::set<std::string> page_ids;
        if (log.contains("pages")) {
            c.each(log["pages"], "$.log.pages", [&](const json& p, const std::string& path) {
                if (!c.object(p, path, kPage)) return;
                if (p.contains("id") && p["id"].is_string())
                    page_ids.insert(p["id"].get<std::string>());
                if (p.contains("startedDateTime"))
                    c.iso8601(p["startedDateTime"], path + ".startedDateTime");
                if (p.contains("pageTimings"))
                    c.object(p["pageTimings"], path + ".pageTimings", kPageTimings);
            });
        }
        if (log.contains("entries")) {
            c.each(log["entries"], "$.log.entries", [&](const json& e, const std::string& path) {
                check_entry(c, e, path, page_ids);
            });
        }
    }
    if (c.problems() > 0) {
        std::cout << argv[1] << ": " << c.problems() << " problem(s): not valid HAR 1.2\n";
        return 1;
    }
    const auto entries = har["log"]["entries"].size();
    std::cout << argv[1] << ": valid HAR 1.2, " << entries << " entries\n";
    return 0;
}
