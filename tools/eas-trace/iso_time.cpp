#include "iso_time.hpp"

#include <cstdio>
#include <ctime>

namespace eas::trace {
namespace {

// Days since 1970-01-01 of a date; timegm does the calendar (and is in glibc and the BSDs).
std::int64_t days_from_civil(int y, int m, int d) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return static_cast<std::int64_t>(timegm(&tm)) / 86'400;
}

bool leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int y, unsigned m) {
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

class Cursor {
  public:
    explicit Cursor(std::string_view s) : s_(s) {}
    bool done() const { return pos_ == s_.size(); }
    char peek() const { return done() ? '\0' : s_[pos_]; }
    bool take(char c) {
        if (peek() != c) return false;
        ++pos_;
        return true;
    }
    // Exactly n digits.
    bool digits(int n, int& out) {
        out = 0;
        for (int i = 0; i < n; ++i) {
            const char c = peek();
            if (c < '0' || c > '9') return false;
            out = out * 10 + (c - '0');
            ++pos_;
        }
        return true;
    }
    std::size_t pos() const { return pos_; }

  private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

}  // namespace

std::optional<TimeSpan> parse_iso8601(std::string_view text, std::string* error) {
    auto fail = [&](const std::string& why) -> std::optional<TimeSpan> {
        if (error) *error = "'" + std::string(text) + "' is not an ISO 8601 time: " + why;
        return std::nullopt;
    };
    Cursor c(text);
    int year = 0, month = 0, day = 0;
    if (!c.digits(4, year) || !c.take('-') || !c.digits(2, month) || !c.take('-') ||
        !c.digits(2, day))
        return fail("expected YYYY-MM-DD");
    if (month < 1 || month > 12) return fail("month out of range");
    if (day < 1 || static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)))
        return fail("day out of range");
    std::int64_t ms = days_from_civil(year, month, day) * 86'400'000;
    std::int64_t unit = 86'400'000;  // the precision given
    if (c.done()) return TimeSpan{ms, ms + unit};

    if (!c.take('T') && !c.take('t') && !c.take(' ')) return fail("expected T after the date");
    int hour = 0, minute = 0;
    if (!c.digits(2, hour) || !c.take(':') || !c.digits(2, minute))
        return fail("expected HH:MM after the date");
    if (hour > 23 || minute > 59) return fail("hour or minute out of range");
    ms += (hour * 60LL + minute) * 60'000;
    unit = 60'000;
    if (c.take(':')) {
        int second = 0;
        if (!c.digits(2, second)) return fail("expected seconds as SS");
        if (second > 60) return fail("second out of range");
        ms += second * 1000LL;
        unit = 1000;
        if (c.take('.') || c.take(',')) {
            // Any number of fraction digits; milliseconds are what the trace has.
            std::int64_t scale = 100;
            int digits = 0;
            while (c.peek() >= '0' && c.peek() <= '9') {
                int d = 0;
                c.digits(1, d);
                ms += d * scale;
                scale /= 10;
                ++digits;
            }
            if (digits == 0) return fail("expected digits after the decimal point");
            unit = 1;
        }
    }
    if (c.take('Z') || c.take('z')) {
        // UTC
    } else if (c.peek() == '+' || c.peek() == '-') {
        const int sign = c.peek() == '+' ? 1 : -1;
        c.take(c.peek());
        int oh = 0, om = 0;
        if (!c.digits(2, oh)) return fail("expected the zone offset as +HH:MM");
        if (c.take(':')) {
            if (!c.digits(2, om)) return fail("expected the zone offset as +HH:MM");
        } else if (!c.done()) {
            if (!c.digits(2, om)) return fail("expected the zone offset as +HHMM");
        }
        if (oh > 23 || om > 59) return fail("zone offset out of range");
        ms -= sign * (oh * 60LL + om) * 60'000;
    }
    if (!c.done()) return fail("unexpected text after the time");
    return TimeSpan{ms, ms + unit};
}

std::string format_utc_ms(std::int64_t ms_since_epoch) {
    std::int64_t secs = ms_since_epoch / 1000;
    std::int64_t millis = ms_since_epoch % 1000;
    if (millis < 0) {
        millis += 1000;
        --secs;
    }
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis));
    return buf;
}

}  // namespace eas::trace
