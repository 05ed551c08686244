#include "filter.hpp"

#include <algorithm>

#include "ascii.hpp"
#include "iso_time.hpp"

namespace eas::trace {
namespace {

bool any_iequal(const std::vector<std::string>& wanted, const std::string& value) {
    if (wanted.empty()) return true;
    return std::any_of(wanted.begin(), wanted.end(),
                       [&](const std::string& w) { return iequals(w, value); });
}

bool any_equal(const std::vector<int>& wanted, std::optional<int> value) {
    if (wanted.empty()) return true;
    return value && std::find(wanted.begin(), wanted.end(), *value) != wanted.end();
}

}  // namespace

bool Filter::matches(const Summary& s) const {
    if (!any_iequal(users, s.user) || !any_iequal(devices, s.device_id) ||
        !any_iequal(device_types, s.device_type) || !any_iequal(commands, s.command))
        return false;
    const int status = s.device_status();
    if (!any_equal(http_statuses, status ? std::optional<int>(status) : std::nullopt)) return false;
    if (!any_equal(eas_statuses, s.eas_status)) return false;
    if (since_ms || until_ms) {
        if (!s.time_ms) return false;  // a record without a readable time matches no range
        if (since_ms && *s.time_ms < *since_ms) return false;
        if (until_ms && *s.time_ms >= *until_ms) return false;
    }
    if (redirects && !s.saw_451()) return false;
    if (errors && !s.has_error) return false;
    return true;
}

bool Filter::empty() const {
    return users.empty() && devices.empty() && device_types.empty() && commands.empty() &&
           http_statuses.empty() && eas_statuses.empty() && !since_ms && !until_ms && !redirects &&
           !errors;
}

bool set_time_bounds(Filter& f, const std::string& since, const std::string& until,
                     std::string& error) {
    if (!since.empty()) {
        const auto span = parse_iso8601(since, &error);
        if (!span) {
            error = "--since: " + error;
            return false;
        }
        f.since_ms = span->begin;
    }
    if (!until.empty()) {
        const auto span = parse_iso8601(until, &error);
        if (!span) {
            error = "--until: " + error;
            return false;
        }
        f.until_ms = span->end;
    }
    return true;
}

}  // namespace eas::trace
