// Autodiscover POX bodies as mobile clients exchange them (MS-ASCMD 2.2.1.1, schema in 6.2),
// plus the Outlook response schema (MS-OXDSCLI, responseschema/2006a), whose redirectAddr and
// redirectUrl answers a proxy must log as well.
//
// Sans-IO: XML bytes in, fields out. Parsing is namespace-aware (expat) but matching is by
// local name, case-insensitively, because real servers omit namespaces or vary the case
// (EMailAddress / EmailAddress). Any DOCTYPE is refused before its internal subset is read, so
// no entity is ever declared or expanded (billion laughs, external entities).
//
// Never throws on bad input. Malformed XML gives an error with expat's byte offset and
// message; fields completed before it are kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "wbxml_document.hpp"

namespace eas {

using DecodeError = wbxml::DecodeError;

inline constexpr std::string_view kMobileSyncRequestSchema =
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006";
inline constexpr std::string_view kMobileSyncResponseSchema =
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006";
// Namespace of the outer <Autodiscover> of every response, and of top-level error responses.
inline constexpr std::string_view kAutodiscoverResponseSchema =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
inline constexpr std::string_view kOutlookRequestSchema =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
inline constexpr std::string_view kOutlookResponseSchema =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

// Which Autodiscover dialect a body speaks, from its namespaces or, without them, its shape.
enum class AutodiscoverSchema { MobileSync, Outlook, Unknown };

struct AutodiscoverRequest {
    AutodiscoverSchema schema = AutodiscoverSchema::Unknown;  // from the root's namespace
    std::string email_address;
    std::string acceptable_response_schema;
    std::string legacy_dn;  // Outlook requests only
    // True when AcceptableResponseSchema names the mobilesync response schema (compared
    // trimmed and case-insensitively). False means the server will answer in another schema or
    // with error 601, which explains many "device cannot set up the account" cases.
    bool mobilesync_response_requested = false;
    std::vector<std::string> warnings;
    std::optional<DecodeError> error;

    bool ok() const { return !error.has_value(); }
};

enum class AutodiscoverKind {
    Settings,         // server settings; mobilesync_url set when a MobileSync server is listed
    RedirectAddress,  // start over with another e-mail address (mobilesync Redirect, redirectAddr)
    RedirectUrl,      // start over at another Autodiscover URL (Outlook redirectUrl only)
    Error,            // an Error element and no Action result
    Unknown,          // none of the above, or the root is not <Autodiscover>
};

struct AutodiscoverServer {
    // Mobilesync Server: Type, Url, Name, ServerData as sent.
    // Outlook Protocol: Type (element or attribute), EwsUrl as url, Server as name.
    std::string type;
    std::string url;
    std::string name;
    std::string server_data;
};

// An <Error> in the response: Response/Action/Error (mobilesync) or Response/Error (the
// top-level form, with Time and Id attributes, that Exchange sends for 600/601).
struct AutodiscoverServerError {
    std::string status;
    std::string message;
    std::string debug_data;
    std::string error_code;
    std::string time;
    std::string id;
    bool top_level = false;  // child of Response rather than of Action
};

struct AutodiscoverResponse {
    AutodiscoverKind kind = AutodiscoverKind::Unknown;
    AutodiscoverSchema schema = AutodiscoverSchema::Unknown;
    std::string culture;
    std::string display_name;
    std::string email_address;  // User/EMailAddress (Outlook: User/AutoDiscoverSMTPAddress)
    std::vector<AutodiscoverServer> servers;
    std::string mobilesync_url;  // Url (else Name) of the first server of Type MobileSync
    std::string redirect_address;
    std::string redirect_url;
    std::string outlook_action;  // Account/Action text as sent: settings, redirectAddr, ...
    std::optional<AutodiscoverServerError> server_error;  // the first Error element
    std::vector<std::string> warnings;
    std::optional<DecodeError> error;  // the body itself could not be read

    bool ok() const { return !error.has_value(); }
};

AutodiscoverRequest decode_autodiscover_request(std::string_view xml);
AutodiscoverResponse decode_autodiscover_response(std::string_view xml);

// "settings", "redirect_address", "redirect_url", "error", "unknown".
std::string_view to_string(AutodiscoverKind kind);
// "mobilesync", "outlook", "unknown".
std::string_view to_string(AutodiscoverSchema schema);

// Plain words for an Autodiscover ErrorCode (500, 501, 600-603 per MS-ASCMD and MS-OXDSCLI);
// empty for codes it does not know.
std::string_view autodiscover_error_meaning(std::string_view error_code);

// Stable shape: every key present (empty strings, empty arrays or null when absent).
nlohmann::json to_json(const AutodiscoverRequest& request);
nlohmann::json to_json(const AutodiscoverResponse& response);

}  // namespace eas
