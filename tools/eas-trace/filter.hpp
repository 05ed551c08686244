// Which flows `list`, `stats` and `export` take. Every option given must match (AND); an
// option given several times matches any of its values (OR). Names compare case-insensitively.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "record.hpp"

namespace eas::trace {

struct Filter {
    std::vector<std::string> users;
    std::vector<std::string> devices;
    std::vector<std::string> device_types;
    std::vector<std::string> commands;
    std::vector<int> http_statuses;  // the status the device got (easproxy's own on errors)
    std::vector<int> eas_statuses;
    std::optional<std::int64_t> since_ms;  // inclusive
    std::optional<std::int64_t> until_ms;  // exclusive
    bool redirects = false;                // a 451 seen (passed, followed, rewritten or refused)
    bool errors = false;                   // flows with an `error`

    bool matches(const Summary& s) const;
    bool empty() const;
};

// The command-line text of --since/--until, checked. False with a message when not a time.
bool set_time_bounds(Filter& f, const std::string& since, const std::string& until,
                     std::string& error);

}  // namespace eas::trace
