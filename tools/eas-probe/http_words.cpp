#include "http_words.hpp"

#include "ascii.hpp"
#include "status_words.hpp"

namespace eas::probe {
namespace {

std::string status_line(const http::MessageHead& head) {
    std::string reason = head.reason;
    if (reason.empty()) reason = std::string(http_status_meaning(head.status));
    return "HTTP " + std::to_string(head.status) + (reason.empty() ? "" : " " + reason);
}

// The schemes of every WWW-Authenticate header: "Basic, Negotiate".
std::string offered_schemes(const http::MessageHead& head) {
    std::string out;
    for (const auto& h : head.headers) {
        if (!iequals(h.name, "WWW-Authenticate")) continue;
        const std::string scheme = h.value.substr(0, h.value.find(' '));
        out += (out.empty() ? "" : ", ") + scheme;
    }
    return out;
}

}  // namespace

std::string http_problem(const http::MessageHead& head, const std::string& user) {
    const int status = head.status;
    if (status == 401) {
        const std::string schemes = offered_schemes(head);
        std::string words =
            "wrong user name or password (HTTP 401): the server refused the "
            "credentials of " +
            user;
        if (!schemes.empty() && to_lower(schemes).find("basic") == std::string::npos) {
            words += "; it does not offer Basic authentication at all (it offers " + schemes +
                     "), so no password will do";
        }
        return words;
    }
    if (status == 403) {
        return status_line(head) +
               ": the server knows the user but refuses this request: ActiveSync may be "
               "disabled for the mailbox, the device blocked or quarantined, or a client "
               "certificate required";
    }
    if (status == 404) {
        return status_line(head) +
               ": nothing answers ActiveSync at this URL (check the host and the "
               "/Microsoft-Server-ActiveSync path)";
    }
    if (status == 449) return provisioning_words(449, 0);
    if (status == 503) {
        std::string words = status_line(head) +
                            ": the server, or the site holding the mailbox, is unavailable or "
                            "throttling";
        if (const auto* retry = head.find("Retry-After"))
            words += "; Retry-After: " + *retry + " s";
        if (const auto* throttle = head.find("X-MS-ASThrottle"))
            words += "; X-MS-ASThrottle: " + *throttle;
        return words;
    }
    if (status >= 500) return status_line(head) + ": the server failed (its logs say why)";
    const auto meaning = http_status_meaning(status);
    std::string words = status_line(head);
    if (!meaning.empty() && meaning != head.reason) words += " (" + std::string(meaning) + ")";
    return words;
}

bool asks_for_provisioning(int http_status, int eas_status) {
    return http_status == 449 ||
           (http_status == 200 && (eas_status == 142 || eas_status == 143 || eas_status == 144));
}

std::string provisioning_words(int http_status, int eas_status) {
    if (http_status == 449)
        return "Provision needed: the server answers HTTP 449 (retry after sending Provision)";
    return "Provision needed: the server answers Status " + std::to_string(eas_status) + " " +
           std::string(eas_status_name("FolderSync", eas_status));
}

}  // namespace eas::probe
