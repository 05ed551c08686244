// Whether a 451 may be followed (or rewritten) to its X-MS-Location, and where bound devices
// go next. Sans-IO: the session asks, this answers; nothing here touches a socket.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "origin.hpp"

namespace eas::proxy {

enum class On451 { Pass, Rewrite, Follow };

// One [[rule]] of the config file: which devices get which 451 mode. A field that is empty
// matches anything; a value starting with "~" is a regex (searched, case-insensitive), anything
// else an exact, case-insensitive match. The first rule that matches wins.
struct DeviceRule {
    std::string device_type, device_id, user, user_agent;
    On451 mode = On451::Pass;
    std::string name;  // for log lines: "rule 2 (WindowsMobile)"
};

// Who is asking, as far as a rule can tell.
struct DeviceIdentity {
    std::string_view user, device_id, device_type, user_agent;
};

struct RedirectRules {
    On451 mode = On451::Pass;  // --on-451: for devices no rule matches
    std::vector<DeviceRule> device_rules;
    // Hosts a redirect may go to: "mail2.contoso.com", "*.contoso.com", ".contoso.com", or an
    // address. Empty: hosts in the configured upstream's domain (its last two labels), or the
    // upstream's own address when it is one.
    std::vector<std::string> allow;
    bool allow_http = false;  // https only unless told
    int max_hops = 3;
    std::size_t replay_limit = 16 * 1024 * 1024;  // request bodies above this are not buffered
    std::chrono::seconds binding_ttl{24 * 3600};
};

// The mode for this device: the first matching rule's, else the default.
On451 mode_for(const RedirectRules& rules, const DeviceIdentity& who);
bool rule_matches(const DeviceRule& rule, const DeviceIdentity& who);
std::string_view mode_name(On451 mode);
std::optional<On451> parse_mode(std::string_view text);

struct RedirectVerdict {
    bool allowed = false;
    Origin target;
    std::string path;    // the X-MS-Location path, to replace the request's path
    std::string reason;  // why not, in words
};

// Checks an X-MS-Location against the rules; `visited` holds the origins this request has
// already been sent to (loop detection), `hops` how many redirects were followed so far.
RedirectVerdict check_redirect(const std::string& location, const Origin& configured,
                               const RedirectRules& rules, const std::set<std::string>& visited,
                               int hops);

}  // namespace eas::proxy
