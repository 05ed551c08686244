#include "redirect_policy.hpp"
#include "ascii.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include "http_parser.hpp"

namespace eas::proxy {
namespace {

bool is_address(const std::string& host) {
    return host.find(':') != std::string::npos || std::all_of(host.begin(), host.end(), [](char c) {
               return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
           });
}

// "mail.eu.contoso.com" -> "contoso.com". An approximation of the registrable domain that is
// right for the usual company domains; list hosts with --follow-allow where it is not.
std::string domain_of(const std::string& host) {
    const auto last = host.rfind('.');
    if (last == std::string::npos || last == 0) return host;
    const auto second = host.rfind('.', last - 1);
    return second == std::string::npos ? host : host.substr(second + 1);
}

bool host_allowed(const std::string& host, const Origin& configured,
                  const std::vector<std::string>& allow) {
    const std::string h = to_lower(host);
    if (allow.empty()) {
        const std::string up = to_lower(configured.host);
        if (is_address(up) || is_address(h)) return h == up;
        return domain_of(h) == domain_of(up);
    }
    for (auto entry : allow) {
        entry = to_lower(entry);
        if (entry.rfind("*.", 0) == 0) entry = entry.substr(1);
        if (entry.front() == '.') {
            if (h.size() > entry.size() &&
                h.compare(h.size() - entry.size(), entry.size(), entry) == 0)
                return true;
        } else if (h == entry) {
            return true;
        }
    }
    return false;
}

}  // namespace

namespace {

bool field_matches(const std::string& pattern, std::string_view value) {
    if (pattern.empty()) return true;
    if (pattern.front() == '~') {
        try {
            return std::regex_search(
                std::string(value),
                std::regex(pattern.substr(1), std::regex::ECMAScript | std::regex::icase));
        } catch (const std::regex_error&) {
            return false;  // the config loader rejects bad patterns before they get here
        }
    }
    return iequals(pattern, value);
}

}  // namespace

bool rule_matches(const DeviceRule& r, const DeviceIdentity& who) {
    return field_matches(r.device_type, who.device_type) &&
           field_matches(r.device_id, who.device_id) && field_matches(r.user, who.user) &&
           field_matches(r.user_agent, who.user_agent);
}

On451 mode_for(const RedirectRules& rules, const DeviceIdentity& who) {
    for (const auto& r : rules.device_rules) {
        if (rule_matches(r, who)) return r.mode;
    }
    return rules.mode;
}

std::string_view mode_name(On451 mode) {
    switch (mode) {
        case On451::Pass:
            return "pass";
        case On451::Rewrite:
            return "rewrite";
        case On451::Follow:
            return "follow";
    }
    return "pass";
}

std::optional<On451> parse_mode(std::string_view text) {
    if (iequals(text, "pass")) return On451::Pass;
    if (iequals(text, "rewrite")) return On451::Rewrite;
    if (iequals(text, "follow")) return On451::Follow;
    return std::nullopt;
}

RedirectVerdict check_redirect(const std::string& location, const Origin& configured,
                               const RedirectRules& rules, const std::set<std::string>& visited,
                               int hops) {
    RedirectVerdict v;
    if (location.empty()) {
        v.reason = "the 451 has no X-MS-Location";
        return v;
    }
    std::string error;
    auto target = parse_origin(location, error);
    if (!target) {
        v.reason = "X-MS-Location is not a usable URL: " + error;
        return v;
    }
    if (!target->tls && !rules.allow_http) {
        v.reason = "X-MS-Location is http://, and redirects are followed to https only";
        return v;
    }
    if (!host_allowed(target->host, configured, rules.allow)) {
        v.reason =
            "host " + target->host + " is not on the follow allowlist" +
            (rules.allow.empty() ? " (default: the upstream's domain; see --follow-allow)" : "");
        return v;
    }
    if (visited.count(target->to_string())) {
        v.reason = "redirect loop: " + target->to_string() + " was already asked for this request";
        return v;
    }
    if (hops >= rules.max_hops) {
        v.reason = "hop limit of " + std::to_string(rules.max_hops) + " redirects reached";
        return v;
    }
    v.allowed = true;
    v.path = target->path;
    v.target = std::move(*target);
    return v;
}

}  // namespace eas::proxy
