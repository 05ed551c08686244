// eas-trace filters and the ISO 8601 times of --since/--until.
#include <catch2/catch.hpp>

#include "filter.hpp"
#include "iso_time.hpp"

using namespace eas::trace;

namespace {

constexpr std::int64_t kDay = 86'400'000;
// 2026-11-25T00:00:00Z
constexpr std::int64_t k20261125 = 1'795'564'800'000;

Summary flow(std::string user, std::string device, std::string type, std::string command,
             std::optional<int> status, std::int64_t time_ms) {
    Summary s;
    s.user = std::move(user);
    s.device_id = std::move(device);
    s.device_type = std::move(type);
    s.command = std::move(command);
    s.http_status = status;
    s.time_ms = time_ms;
    return s;
}

}  // namespace

TEST_CASE("ISO 8601: a date is a whole day, each precision its own span") {
    auto d = parse_iso8601("2026-11-25");
    REQUIRE(d);
    CHECK(d->begin == k20261125);
    CHECK(d->end == k20261125 + kDay);
    auto m = parse_iso8601("2026-11-25T12:18");
    REQUIRE(m);
    CHECK(m->begin == k20261125 + (12 * 60 + 18) * 60'000);
    CHECK(m->end - m->begin == 60'000);
    auto s = parse_iso8601("2026-11-25 12:18:27");
    REQUIRE(s);
    CHECK(s->end - s->begin == 1000);
    auto ms = parse_iso8601("2026-11-25T12:18:27.147Z");
    REQUIRE(ms);
    CHECK(ms->begin == k20261125 + ((12 * 60 + 18) * 60 + 27) * 1000 + 147);
    CHECK(ms->end - ms->begin == 1);
}

TEST_CASE("ISO 8601: zones move the instant, no zone is UTC like the trace") {
    const auto utc = parse_iso8601("2026-11-25T12:00:00Z")->begin;
    CHECK(parse_iso8601("2026-11-25T12:00:00")->begin == utc);
    CHECK(parse_iso8601("2026-11-25T14:00:00+02:00")->begin == utc);
    CHECK(parse_iso8601("2026-11-25T07:00:00-0500")->begin == utc);
    CHECK(parse_iso8601("2026-11-25T13:00+01")->begin == utc);
    CHECK(parse_iso8601("2026-11-25T12:00:00.5Z")->begin == utc + 500);
    CHECK(parse_iso8601("2026-11-25T12:00:00.123456Z")->begin == utc + 123);
}

TEST_CASE("ISO 8601: nonsense is refused with a reason") {
    std::string error;
    CHECK_FALSE(parse_iso8601("yesterday", &error));
    CHECK_THAT(error, Catch::Contains("YYYY-MM-DD"));
    CHECK_FALSE(parse_iso8601("2026-13-01", &error));
    CHECK_THAT(error, Catch::Contains("month"));
    CHECK_FALSE(parse_iso8601("2026-02-29", &error));  // not a leap year
    CHECK(parse_iso8601("2028-02-29"));
    CHECK_FALSE(parse_iso8601("2026-11-25T25:00", &error));
    CHECK_FALSE(parse_iso8601("2026-11-25T12:00:00.", &error));
    CHECK_FALSE(parse_iso8601("2026-11-25T12:00:00Zjunk", &error));
}

TEST_CASE("table times are UTC with milliseconds") {
    CHECK(format_utc_ms(k20261125 + 3'723'004) == "2026-11-25 01:02:03.004");
    CHECK(format_utc_ms(0) == "1970-01-01 00:00:00.000");
}

TEST_CASE("each filter narrows, repeated values widen, names ignore case") {
    const auto sam = flow("sam", "SAMPHONE1", "iPhone", "FolderSync", 200, k20261125 + 1000);
    const auto alex = flow("alex", "LEGACY01", "WindowsMobile", "FolderSync", 451, k20261125);
    Filter f;
    CHECK(f.empty());
    CHECK(f.matches(sam));

    f.users = {"ALEX"};
    CHECK(f.matches(alex));
    CHECK_FALSE(f.matches(sam));
    f.users = {"alex", "sam"};
    CHECK(f.matches(sam));

    Filter status;
    status.http_statuses = {451};
    CHECK(status.matches(alex));
    CHECK_FALSE(status.matches(sam));

    Filter cmd;
    cmd.commands = {"foldersync"};
    CHECK(cmd.matches(sam));
    cmd.commands = {"Sync"};
    CHECK_FALSE(cmd.matches(sam));

    Filter type;
    type.device_types = {"iphone"};
    CHECK(type.matches(sam));
    CHECK_FALSE(type.matches(alex));

    Filter device;
    device.devices = {"LEGACY01"};
    CHECK(device.matches(alex));
    CHECK_FALSE(device.matches(sam));
}

TEST_CASE("status filters: easproxy's own answer counts, EAS Status must be there") {
    Summary failed;
    failed.answered = 502;
    failed.has_error = true;
    Filter f;
    f.http_statuses = {502};
    CHECK(f.matches(failed));
    Filter e;
    e.eas_statuses = {142};
    CHECK_FALSE(e.matches(failed));
    failed.eas_status = 142;
    CHECK(e.matches(failed));
    Filter errors;
    errors.errors = true;
    CHECK(errors.matches(failed));
    CHECK_FALSE(errors.matches(Summary{}));
}

TEST_CASE("the redirects filter: a 451 passed on, followed or refused") {
    Filter f;
    f.redirects = true;
    Summary followed;
    followed.http_status = 200;
    followed.has_redirect = true;
    followed.redirect_decision = "followed";
    CHECK(f.matches(followed));
    Summary bare451;
    bare451.http_status = 451;
    CHECK(f.matches(bare451));
    Summary plain;
    plain.http_status = 200;
    CHECK_FALSE(f.matches(plain));
}

TEST_CASE("since and until: inclusive, and a date-only until takes the whole day") {
    Filter f;
    std::string error;
    REQUIRE(set_time_bounds(f, "2026-11-25T00:00:01", "2026-11-25", error));
    CHECK_FALSE(f.matches(flow("a", "d", "t", "c", 200, k20261125)));
    CHECK(f.matches(flow("a", "d", "t", "c", 200, k20261125 + 1000)));
    CHECK(f.matches(flow("a", "d", "t", "c", 200, k20261125 + kDay - 1)));
    CHECK_FALSE(f.matches(flow("a", "d", "t", "c", 200, k20261125 + kDay)));
    Summary no_time;
    CHECK_FALSE(f.matches(no_time));
    Filter bad;
    CHECK_FALSE(set_time_bounds(bad, "noon", "", error));
    CHECK_THAT(error, Catch::StartsWith("--since: 'noon' is not an ISO 8601 time"));
}
