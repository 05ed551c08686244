// The EAS commands fake-cas answers, one function per command, plus the helpers they share.
// Each takes a request that already passed authentication, the 451 rule and the policy-key
// check (see dispatch.hpp); held commands (Sync with Wait, Ping) are coroutines.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "request.hpp"
#include "wbxml_util.hpp"

namespace fakecas {

// OPTIONS: protocol versions and commands (MS-ASHTTP 2.2.2.1.2).
Response handle_options(EasRequest& r);

// Provision (MS-ASPROV): policy with a temporary key, then the final key on acknowledgement.
Response handle_provision(EasRequest& r);
// The policy-key gate every other command passes: nullopt to go on, else 449 (before 14.0) or
// 200 with Status 142/144 (14.0 and later).
std::optional<Response> check_policy(EasRequest& r);

Response handle_folder_sync(EasRequest& r);
Response handle_get_item_estimate(EasRequest& r);
awaitable<Response> handle_sync(EasRequest& r);
awaitable<Response> handle_ping(EasRequest& r);
Response handle_item_operations(EasRequest& r);
// SendMail, SmartReply and SmartForward: WBXML with Mime (14.0+) or raw message/rfc822 (12.x).
Response handle_send_mail(EasRequest& r);
Response handle_settings(EasRequest& r);

// --- shared helpers (eas_common.cpp) ---

inline constexpr const char* kWbxmlType = "application/vnd.ms-sync.wbxml";

// 200 with a WBXML body built from XML.
Response wbxml_response(const std::string& xml, std::optional<int> eas_status);
// 200 with <Command><Status>N</Status></Command> in the command's code page, or 400 when the
// command has no WBXML root (what Exchange does for, e.g., an invalid WBXML body).
Response command_status(const EasRequest& r, int status);
// The code page and root element name of a command's WBXML, or nullptr.
struct CommandRoot {
    const char* command;
    const char* ns;
    const char* root;
};
const CommandRoot* command_root(const std::string& command);

// Holds a request until the user's mailbox changes, the deadline passes, the organisation
// changes under it (site down, mailbox moved: the device must meet the 451 rule again) or the
// server stops. Returns true when it should look for changes again, false when it is over.
awaitable<bool> wait_for_change(EasRequest& r, std::chrono::steady_clock::time_point deadline);
// The request may still be served here (route unchanged, site up, server running).
bool still_served(const EasRequest& r);

// Renders one email for Sync/ItemOperations ApplicationData or Properties: version-aware
// (2.5 has email:Body, 12.0+ airsyncbase:Body), body type and truncation from the request.
struct BodyPreference {
    int type = 1;  // 1 plain, 2 HTML, 4 MIME
    std::optional<std::uint64_t> truncation;
};
void render_email(Xml& x, const Item& item, const EasRequest& r, const BodyPreference& pref);
BodyPreference read_body_preference(const eas::wbxml::Document& d, std::uint32_t options);

// A MIME message for an item (seeded items have none stored).
std::string item_mime(const Item& item);

}  // namespace fakecas
