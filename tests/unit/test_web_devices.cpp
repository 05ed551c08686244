// The live view's memory: device aggregation (error rate, ignored 451s, bindings), the ring of
// recent flows behind the event stream, requests in flight.
#include <catch2/catch.hpp>

#include "live_flows.hpp"

using namespace eas::proxy;

namespace {
FlowRow row(const std::string& user, const std::string& device, const std::string& upstream,
            int status, const std::string& decision = "") {
    static int n = 0;
    FlowRow r;
    r.id = static_cast<std::uint64_t>(++n);
    r.when = Clock::time_point(std::chrono::seconds(1000 + n));
    r.time = "t" + std::to_string(n);
    r.user = user;
    r.device_id = device;
    r.device_type = "WindowsMobile";
    r.user_agent = "MSFT-PPC/5.2";
    r.command = "FolderSync";
    r.upstream = upstream;
    r.status = status;
    r.redirect_decision = decision;
    if (status == 451) r.x_ms_location = "https://cas-b/Microsoft-Server-ActiveSync";
    return r;
}

const DeviceView& find(const std::vector<DeviceView>& list, const std::string& key) {
    for (const auto& d : list)
        if (d.key == key) return d;
    FAIL("no device " << key);
    throw std::logic_error("unreachable");
}

Flow flow(std::uint64_t id, const std::string& query, int status) {
    Flow f;
    f.id = id;
    f.request.method = "POST";
    f.request.target = "/Microsoft-Server-ActiveSync?" + query;
    f.eas = eas::parse_request_line(f.request.target);
    f.upstream = "https://cas-a";
    eas::http::MessageHead r;
    r.is_request = false;
    r.status = status;
    f.response = r;
    f.started = Steady::now();
    f.finished = std::chrono::milliseconds(3);
    return f;
}
}  // namespace

TEST_CASE("a device that gets a 451 and comes back to the same upstream ignored it") {
    DeviceTable t;
    t.add(row("alex", "WM1", "https://cas-a", 451, "pass"));
    auto d = find(t.list(), "alex/WM1");
    CHECK(d.got_451 == 1);
    CHECK_FALSE(d.ignored_451);
    t.add(row("alex", "WM1", "https://cas-a", 451, "pass"));  // retried the same URL
    t.add(row("alex", "WM1", "https://cas-a", 451, "pass"));
    d = find(t.list(), "alex/WM1");
    CHECK(d.ignored_451);
    CHECK(d.requests_after_451 == 2);
    CHECK(d.ignored_451_upstream == "https://cas-a");
    CHECK(d.flows == 3);
    CHECK(d.failed == 3);
    CHECK(d.error_rate() == Approx(1.0));
}

TEST_CASE("a device that moves on after its 451 did not ignore it") {
    DeviceTable t;
    t.add(row("sam", "IPHONE1", "https://cas-a", 451, "pass"));
    t.add(row("sam", "IPHONE1", "https://cas-b", 200));  // through another easproxy at site B
    t.add(row("sam", "IPHONE1", "https://cas-b", 200));
    const auto d = find(t.list(), "sam/IPHONE1");
    CHECK_FALSE(d.ignored_451);
    CHECK(d.got_451 == 1);
    CHECK(d.error_rate() == Approx(1.0 / 3));
    CHECK(d.last_upstream == "https://cas-b");
}

TEST_CASE("rewritten and followed 451s never reached the device as such") {
    DeviceTable t;
    t.add(row("alex", "WM2", "https://cas-a", 451, "rewritten"));
    t.add(row("alex", "WM2", "https://cas-b", 200));
    t.add(row("alex", "WM3", "https://cas-b", 200, "followed"));
    t.add(row("alex", "WM3", "https://cas-b", 200));
    for (const auto& d : t.list()) {
        CHECK(d.got_451 == 0);
        CHECK_FALSE(d.ignored_451);
    }
    // A refused redirect passes the 451 to the device.
    t.add(row("alex", "WM4", "https://cas-a", 451, "refused: host is not on the allowlist"));
    t.add(row("alex", "WM4", "https://cas-a", 451, "refused: host is not on the allowlist"));
    CHECK(find(t.list(), "alex/WM4").ignored_451);
}

TEST_CASE("devices: identity, last command, order, keys as bindings spell them, a bound size") {
    DeviceTable t(2);
    t.add(row("Alex", "WM1", "https://cas-a", 200));
    t.add(row("sam", "P1", "https://cas-a", 200));
    auto list = t.list();
    REQUIRE(list.size() == 2);
    CHECK(list[0].key == "sam/P1");  // most recent first
    CHECK(list[1].key == "alex/WM1");
    CHECK(list[1].user == "Alex");
    CHECK(list[1].device_type == "WindowsMobile");
    CHECK(list[1].user_agent == "MSFT-PPC/5.2");
    CHECK(list[1].last_command == "FolderSync");
    t.add(row("kim", "K1", "https://cas-a", 200));  // full: the one seen longest ago goes
    list = t.list();
    REQUIRE(list.size() == 2);
    CHECK(list[0].key == "kim/K1");
    CHECK(list[1].key == "sam/P1");
    auto anonymous = row("", "", "https://cas-a", 200);  // OPTIONS, Autodiscover: not a device
    t.add(anonymous);
    CHECK(t.size() == 2);
}

TEST_CASE("the devices view names each device's binding") {
    DeviceTable t;
    t.add(row("alex", "WM1", "https://cas-a", 200));
    t.add(row("sam", "P1", "https://cas-a", 200));
    std::string error;
    Bindings::Entry e;
    e.key = "alex/WM1";
    e.target = *parse_origin("https://cas-b.contoso.com/Microsoft-Server-ActiveSync", error);
    e.expires = Bindings::Clock::time_point(std::chrono::seconds(1800000000));
    const auto j = devices_json(t.list(), {e});
    REQUIRE(j.size() == 2);
    for (const auto& d : j) {
        if (d["key"] == "alex/WM1") {
            CHECK(d["binding"]["upstream"] ==
                  "https://cas-b.contoso.com/Microsoft-Server-ActiveSync");
            CHECK(d["binding"]["expires"] == "2027-01-15T08:00:00Z");
        } else {
            CHECK_FALSE(d.contains("binding"));
        }
    }
    const auto b = bindings_json({e});
    CHECK(b[0]["key"] == "alex/WM1");
}

TEST_CASE(
    "the ring keeps the last N flows; pages resume after their last event or learn of a gap") {
    LiveOptions o;
    o.max_flows = 3;
    LiveFlows live(o);
    int woken = 0;
    const auto id = live.subscribe([&] { ++woken; });
    for (std::uint64_t i = 1; i <= 5; ++i)
        live.add(flow(i, "Cmd=Sync&User=alex&DeviceId=WM1&DeviceType=WindowsMobile", 200));
    CHECK(woken == 5);
    CHECK(live.kept() == 3);
    CHECK(live.last_seq() == 5);
    auto b = live.since(0, 100);
    CHECK_FALSE(b.gap);  // a new page: it missed nothing
    REQUIRE(b.rows.size() == 3);
    CHECK(live.since(1, 100).gap);  // a page that saw 1 missed 2
    CHECK(b.rows.front().first == 3);
    CHECK_THAT(b.rows.front().second, Catch::Contains(R"("command":"Sync")"));
    b = live.since(3, 100);
    CHECK_FALSE(b.gap);
    REQUIRE(b.rows.size() == 2);
    CHECK(b.rows[0].first == 4);
    CHECK(live.since(5, 100).rows.empty());
    CHECK(live.since(3, 1).rows.size() == 1);
    CHECK_FALSE(live.detail(1));
    const auto d = live.detail(5);
    REQUIRE(d);
    const auto j = nlohmann::json::parse(*d);
    CHECK(j["row"]["id"] == 5);
    CHECK(j["record"]["request"]["eas"]["device_id"] == "WM1");
    CHECK(live.devices().size() == 1);
    CHECK(live.metrics().flows.at({"Sync", 200}) == 5);
    live.unsubscribe(id);
    CHECK(live.subscribers() == 0);
    live.add(flow(6, "Cmd=Sync&User=alex&DeviceId=WM1&DeviceType=WindowsMobile", 200));
    CHECK(woken == 5);
}

TEST_CASE("records over the memory budget are dropped, rows stay") {
    LiveOptions o;
    o.max_flows = 100;
    o.max_detail_bytes = 8 * 1024;  // records under 1 KiB each are kept
    LiveFlows live(o);
    for (std::uint64_t i = 1; i <= 30; ++i)
        live.add(flow(i, "Cmd=Sync&User=alex&DeviceId=WM1&DeviceType=WindowsMobile", 200));
    CHECK(live.kept() == 30);
    const auto oldest = nlohmann::json::parse(*live.detail(1));
    CHECK(oldest["record"].is_null());
    CHECK(oldest["row"]["id"] == 1);
    CHECK(nlohmann::json::parse(*live.detail(30))["record"].is_object());
}

TEST_CASE("the live view redacts like the trace") {
    LiveFlows live(LiveOptions{});
    auto f = flow(1, "Cmd=Sync&User=alex&DeviceId=WM1&DeviceType=WindowsMobile", 200);
    f.request.headers = {{"Authorization", "Basic YWxleDpQYXNzdzByZA=="}};  // alex:Passw0rd
    live.add(f);
    const auto d = *live.detail(1);
    CHECK_THAT(d, Catch::Contains("Basic [redacted] (user alex)"));
    CHECK_THAT(d, !Catch::Contains("YWxleDpQYXNzdzByZA"));
}

TEST_CASE("requests in flight, and held once older than the threshold") {
    LiveOptions o;
    o.held_after = std::chrono::seconds(5);
    LiveFlows live(o);
    auto ping = flow(1, "Cmd=Ping&User=alex&DeviceId=WM1&DeviceType=WindowsMobile", 200);
    auto sync = flow(2, "Cmd=Sync&User=alex&DeviceId=WM1&DeviceType=WindowsMobile", 200);
    const auto now = Steady::now();
    ping.started = now - std::chrono::seconds(60);
    sync.started = now - std::chrono::milliseconds(10);
    live.request_headers(ping);
    live.request_headers(sync);
    auto in = live.in_flight(now);
    CHECK(in.count == 2);
    CHECK(in.held == 1);
    live.response_complete(sync);
    live.error(ping);
    in = live.in_flight(now);
    CHECK(in.count == 0);
    CHECK(in.held == 0);
}

TEST_CASE("flow events queue flows for the live view's thread; a full queue drops, never waits") {
    LiveFlows live(LiveOptions{});
    for (std::uint64_t i = 1; i <= 50; ++i)
        live.response_complete(
            flow(i, "Cmd=Sync&User=alex&DeviceId=WM1&DeviceType=WindowsMobile", 200));
    live.drain();
    CHECK(live.kept() == 50);
    CHECK(live.dropped() == 0);
    CHECK(live.metrics().flows.at({"Sync", 200}) == 50);

    LiveOptions tight;
    tight.max_queued = 0;
    LiveFlows full(tight);
    auto f = flow(1, "Cmd=Sync&User=alex&DeviceId=WM1&DeviceType=WindowsMobile", 200);
    full.request_headers(f);
    full.response_complete(f);
    full.drain();
    CHECK(full.dropped() == 1);
    CHECK(full.kept() == 0);
    CHECK(full.in_flight().count == 0);  // finished, even if not shown
}
