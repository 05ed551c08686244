// One trace record (a JSON object, schema "v": 1 in the top-level README) and the fields the
// list, the filters and the stats need, read leniently: a field of an unexpected type counts
// as absent rather than making the whole record bad.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace eas::trace {

inline constexpr int kSchemaVersion = 1;

struct Summary {
    std::optional<std::int64_t> id;  // flow number within one easproxy run (restarts at 1)
    std::string time;                // as written
    std::optional<std::int64_t> time_ms;
    std::string client;
    std::string upstream;
    std::string method;
    std::string target;
    // From request.eas; an OPTIONS without a query names no user there, so the user shown by
    // the (redacted) Authorization header stands in (user_from_auth tells).
    std::string user;
    bool user_from_auth = false;
    std::string device_id;
    std::string device_type;
    std::string command;  // request.eas.command, or the method when there is none (OPTIONS)
    std::optional<int> http_status;  // response.status: what the upstream answered
    std::optional<int> answered;     // error.answered: what easproxy answered itself
    std::optional<int> eas_status;
    std::string eas_words;
    std::optional<double> total_ms;
    std::uint64_t bytes_up = 0;
    std::uint64_t bytes_down = 0;
    bool has_redirect = false;
    std::string redirect_decision;  // pass, followed, rewritten, refused: why
    std::string x_ms_location;
    std::string sent_to_device;
    bool has_error = false;
    std::string error_stage;
    std::string error_reason;

    // The status the device got: the upstream's, else easproxy's own, else 0 (none).
    int device_status() const;
    // A 451 was answered somewhere along the way (passed on, followed, rewritten or refused).
    bool saw_451() const;
};

Summary summarize(const nlohmann::json& record);

struct ParsedLine {
    nlohmann::json json;
    Summary summary;
    std::string error;  // empty when the line is a record
};

// Parses one line; on failure `error` says why in a few words ("not JSON: ...", "schema
// version 2 is not supported").
ParsedLine parse_line(std::string_view line);

// The user name in an Authorization value: "sam" from "Basic [redacted] (user sam)" as
// easproxy redacts it, or from "Basic c2FtOi4uLg==" when the trace kept secrets.
std::string authorization_user(std::string_view value);

// Header value by name (case-insensitive) from a trace's [[name, value], ...] list.
std::optional<std::string> header_value(const nlohmann::json& headers, std::string_view name);

// Lenient accessors: the value at a JSON pointer when it has the type, else nothing.
std::optional<std::string> get_string(const nlohmann::json& j, const char* pointer);
std::optional<std::int64_t> get_int(const nlohmann::json& j, const char* pointer);
std::optional<double> get_number(const nlohmann::json& j, const char* pointer);
const nlohmann::json* get_object(const nlohmann::json& j, const char* pointer);
const nlohmann::json* get_value(const nlohmann::json& j, const char* pointer);  // any type

// dump() that never throws on bytes that are not UTF-8.
std::string dump_json(const nlohmann::json& j, int indent = -1);

}  // namespace eas::trace
