// The request target of an EAS request (MS-ASHTTP 2.2.1.1.1): plain "Cmd=...&User=..." query or
// the base64-encoded binary query that hides Cmd, DeviceId and the policy key from naive logs.
//
// Sans-IO and never throws. On malformed input the result keeps everything decoded before the
// error and names its offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace eas {

enum class QueryForm { None, Plain, Base64 };

struct RequestLineError {
    std::size_t offset = 0;
    // Base64 structure errors count bytes of the decoded query (as in MS-ASHTTP's layout
    // table); everything else counts characters of the text handed to the parser.
    bool in_decoded_query = false;
    std::string reason;
};

struct QueryParameter {
    std::string name;   // canonical spelling for known parameters, as sent otherwise
    std::string value;  // percent-decoded (plain) or raw bytes (base64)
    bool operator==(const QueryParameter&) const = default;
};

struct EasRequestLine {
    QueryForm form = QueryForm::None;
    std::string method;  // only when a whole "POST /path?query HTTP/1.1" line was given
    std::string path;
    std::string command;              // as sent (plain) or the name of the code (base64)
    std::optional<int> command_code;  // base64 byte 1, or the code of a known plain Cmd
    std::string user;
    // Base64 device ids are raw bytes; when they are not printable ASCII they are shown as
    // lower-case hex (as Z-Push/grommunio store them) and binary_device_id is set.
    std::string device_id;
    bool binary_device_id = false;
    std::string device_type;
    std::optional<std::string> protocol_version;  // base64 form only; plain sends a header
    std::optional<std::uint32_t> policy_key;      // base64 form only
    std::optional<std::uint16_t> locale;          // base64 form only (LCID)
    // Command parameters in order, minus those with a field of their own (Cmd, User, DeviceId,
    // DeviceType, and SaveInSent/AcceptMultiPart or the base64 Options byte when understood).
    // Unknown base64 tags are named "tag N".
    std::vector<QueryParameter> parameters;
    std::optional<bool> save_in_sent;
    std::optional<bool> accept_multipart;
    std::vector<std::string> warnings;
    std::optional<RequestLineError> error;

    bool ok() const { return !error.has_value(); }
    // Value of the first parameter of that name (case-insensitive), or nullptr.
    const std::string* parameter(std::string_view name) const;
};

// MS-ASHTTP command codes (base64 byte 1); "" for codes no command uses.
std::string_view command_name(int code);
// Case-insensitive; legacy 2.x names (GetHierarchy...) have no code.
std::optional<int> command_code(std::string_view name);

std::string_view query_form_name(QueryForm form);  // "none", "plain", "base64"

// MS-ASHTTP's rule: key=value pairs (or a Cmd= key) mean plain; anything else is base64.
QueryForm detect_query_form(std::string_view query);

// Accepts a request target ("/Microsoft-Server-ActiveSync?..."), an absolute URL, a bare query
// (with or without '?') or a whole request line as pasted from a log.
EasRequestLine parse_request_line(std::string_view target);

// The base64 form after base64 decoding: version, command, locale, device id, policy key,
// device type, then tag/length/value parameters.
EasRequestLine parse_base64_query_bytes(std::string_view bytes);

// Builds the base64 query (percent-encoded, ready to follow '?') from protocol_version,
// command_code (or command), locale (en-US when absent), device_id (hex when
// binary_device_id), policy_key, device_type, parameters, save_in_sent/accept_multipart and
// user. Returns "" and says why in *error when a field cannot be encoded.
std::string encode_base64_query(const EasRequestLine& request, std::string* error = nullptr);

// Strings that are not valid UTF-8 show their stray bytes as \xNN, so dump() never throws.
nlohmann::json to_json(const EasRequestLine& request);
void to_json(nlohmann::json& out, const EasRequestLine& request);  // for nlohmann's ADL

}  // namespace eas
