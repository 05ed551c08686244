// eas-trace stats: nearest-rank percentiles in bounded memory, and the per-device/per-command
// counts.
#include <catch2/catch.hpp>

#include <random>

#include "stats.hpp"

using namespace eas::trace;

TEST_CASE("percentiles of 1..100 by nearest rank") {
    LatencySketch s;
    for (int i = 100; i >= 1; --i) s.add(i);  // order does not matter
    CHECK(s.count() == 100);
    CHECK(s.exact());
    CHECK(*s.percentile(50) == 50);
    CHECK(*s.percentile(90) == 90);
    CHECK(*s.percentile(99) == 99);
    CHECK(*s.percentile(100) == 100);
    CHECK(*s.max() == 100);
}

TEST_CASE("percentiles of few values: p99 of 3 values is the largest") {
    LatencySketch s;
    s.add(2.5);
    s.add(0.2);
    s.add(30001);
    CHECK(*s.percentile(50) == 2.5);
    CHECK(*s.percentile(90) == 30001);
    CHECK(*s.percentile(99) == 30001);
    LatencySketch one;
    one.add(7);
    CHECK(*one.percentile(50) == 7);
    CHECK(*one.percentile(99) == 7);
}

TEST_CASE("no values, no percentiles") {
    LatencySketch s;
    CHECK_FALSE(s.percentile(50));
    CHECK_FALSE(s.max());
}

TEST_CASE("past the exact samples: buckets, within 1%, zeros kept apart") {
    LatencySketch s;
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> dist(1, 1000);
    std::vector<double> values;
    for (int i = 0; i < 200'000; ++i) values.push_back(dist(rng));
    values.push_back(0);
    for (double v : values) s.add(v);
    CHECK_FALSE(s.exact());
    std::sort(values.begin(), values.end());
    for (double p : {50.0, 90.0, 99.0}) {
        const auto rank =
            static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(values.size())));
        const double truth = values[rank - 1];
        CHECK(*s.percentile(p) == Approx(truth).epsilon(0.01));
    }
    CHECK(*s.percentile(0.0001) == 0);
    CHECK(*s.max() == values.back());
}

TEST_CASE("stats per device and per command, with errors and 451s") {
    Stats stats;
    Summary sync;
    sync.user = "sam";
    sync.device_id = "SAMPHONE1";
    sync.device_type = "iPhone";
    sync.command = "Sync";
    sync.http_status = 200;
    sync.total_ms = 10;
    sync.bytes_up = 100;
    sync.bytes_down = 1000;
    stats.add(sync);
    sync.total_ms = 30;
    stats.add(sync);

    Summary legacy;
    legacy.user = "alex";
    legacy.device_id = "LEGACY01";
    legacy.device_type = "WindowsMobile";
    legacy.command = "FolderSync";
    legacy.http_status = 451;
    legacy.has_redirect = true;
    stats.add(legacy);
    Summary failed = legacy;
    failed.http_status.reset();
    failed.has_redirect = false;
    failed.answered = 502;
    failed.has_error = true;
    stats.add(failed);

    REQUIRE(stats.devices.size() == 2);
    const auto& sam = stats.devices.at({"sam", "SAMPHONE1", "iPhone"});
    CHECK(sam.flows == 2);
    CHECK(sam.errors == 0);
    CHECK(sam.bytes_up == 200);
    CHECK(sam.bytes_down == 2000);
    CHECK(*sam.latency.percentile(50) == 10);
    CHECK(*sam.latency.max() == 30);
    const auto& alex = stats.devices.at({"alex", "LEGACY01", "WindowsMobile"});
    CHECK(alex.flows == 2);
    CHECK(alex.errors == 1);
    CHECK(alex.saw_451 == 1);
    CHECK(alex.latency.count() == 0);  // no timings: counted, not timed
    CHECK(stats.commands.at("FolderSync").flows == 2);
    CHECK(stats.total.flows == 4);

    const auto j = stats_json(stats);
    CHECK(j["total"]["flows"] == 4);
    CHECK(j["total"]["errors"] == 1);
    CHECK(j["total"]["error_rate"] == 0.25);
    CHECK(j["total"]["rate_451"] == 0.25);
    CHECK(j["devices"].size() == 2);
    CHECK(j["devices"][0]["user"] == "alex");  // sorted by user, device, type
    CHECK(j["devices"][0]["latency_ms"]["p50"].is_null());

    const auto text = stats_text(stats);
    CHECK_THAT(text, Catch::Contains("sam / SAMPHONE1 / iPhone"));
    CHECK_THAT(text, Catch::Contains("TOTAL"));
}
