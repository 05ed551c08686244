// ISO 8601 times as the trace writes them ("2026-11-25T12:18:27.147Z") and as people type
// them on the command line ("2026-11-25", "2026-11-25 12:18", "2026-11-25T14:18+02:00").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eas::trace {

// The stretch of time a text names: a date is a whole day, "12:18" a whole minute, "12:18:27"
// a second, "12:18:27.147" a millisecond. So --since takes `begin` and --until `end`, and
// "--until 2026-11-25" includes that whole day. Milliseconds since 1970 UTC; a time without a
// zone is UTC, like the trace.
struct TimeSpan {
    std::int64_t begin = 0;
    std::int64_t end = 0;  // exclusive
};

std::optional<TimeSpan> parse_iso8601(std::string_view text, std::string* error = nullptr);

// "2026-11-25 12:18:27.147" for tables (UTC, as in the trace).
std::string format_utc_ms(std::int64_t ms_since_epoch);

}  // namespace eas::trace
