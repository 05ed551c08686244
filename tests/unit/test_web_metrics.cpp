// /metrics: counting flows and rendering the Prometheus text exposition format.
#include <catch2/catch.hpp>

#include "metrics.hpp"

using namespace eas::proxy;

namespace {
FlowRow row(const std::string& command, int status, std::optional<int> eas = std::nullopt,
            std::optional<double> first_byte_ms = std::nullopt) {
    FlowRow r;
    r.command = command.empty() ? "OPTIONS" : command;
    r.command_label = metric_command(command);
    r.method = command.empty() ? "OPTIONS" : "POST";
    r.status = status;
    r.eas_status = eas;
    r.first_byte_ms = first_byte_ms;
    r.bytes_up = 10;
    r.bytes_down = 100;
    return r;
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}
}  // namespace

TEST_CASE("command labels stay few whatever devices send") {
    CHECK(metric_command("FolderSync") == "FolderSync");
    CHECK(metric_command("foldersync") == "FolderSync");
    CHECK(metric_command("") == "none");
    CHECK(metric_command("DropTables\"; --") == "other");
}

TEST_CASE("flows by command and status, EAS Status, errors, bytes") {
    FlowMetrics m;
    m.add(row("FolderSync", 200, 1, 3));
    m.add(row("FolderSync", 200, 1, 4));
    m.add(row("FolderSync", 451));
    m.add(row("Sync", 200, 3, 7));
    m.add(row("", 200));
    auto failed = row("Ping", 502);
    failed.error = "connect refused";
    failed.error_stage = "upstream connect";
    m.add(failed);
    auto gone = row("Ping", 0);
    gone.error = "the device closed its connection";
    gone.error_stage = "device";
    m.add(gone);

    const auto text = render_metrics(m, {}, {});
    CHECK(has_line(text, "# TYPE easproxy_flows_total counter"));
    CHECK(has_line(text, R"(easproxy_flows_total{command="FolderSync",status="200"} 2)"));
    CHECK(has_line(text, R"(easproxy_flows_total{command="FolderSync",status="451"} 1)"));
    CHECK(has_line(text, R"(easproxy_flows_total{command="none",status="200"} 1)"));
    CHECK(has_line(text, R"(easproxy_flows_total{command="Ping",status="none"} 1)"));
    CHECK(has_line(text, R"(easproxy_eas_status_total{command="FolderSync",eas_status="1"} 2)"));
    CHECK(has_line(text, R"(easproxy_eas_status_total{command="Sync",eas_status="3"} 1)"));
    CHECK(has_line(text, R"(easproxy_flow_errors_total{stage="upstream connect"} 1)"));
    CHECK(has_line(text, R"(easproxy_flow_errors_total{stage="device"} 1)"));
    CHECK(has_line(text, R"(easproxy_body_bytes_total{direction="up"} 70)"));
    CHECK(has_line(text, R"(easproxy_body_bytes_total{direction="down"} 700)"));
    // Every family is announced once, before its samples.
    CHECK(text.find("# HELP easproxy_flows_total") < text.find("easproxy_flows_total{"));
}

TEST_CASE("the upstream latency histogram is cumulative, in seconds, with +Inf, sum and count") {
    FlowMetrics m;
    m.add(row("Sync", 200, 1, 3));        // 0.003 s
    m.add(row("Sync", 200, 1, 40));       // 0.04 s
    m.add(row("Sync", 200, 1, 5000));     // exactly 5 s: in the 5 bucket
    m.add(row("Ping", 200, 1, 4000000));  // over an hour
    const auto text = render_metrics(m, {}, {});
    CHECK(has_line(text, "# TYPE easproxy_upstream_latency_seconds histogram"));
    CHECK(
        has_line(text, R"(easproxy_upstream_latency_seconds_bucket{command="Sync",le="0.005"} 1)"));
    CHECK(
        has_line(text, R"(easproxy_upstream_latency_seconds_bucket{command="Sync",le="0.025"} 1)"));
    CHECK(
        has_line(text, R"(easproxy_upstream_latency_seconds_bucket{command="Sync",le="0.05"} 2)"));
    CHECK(has_line(text, R"(easproxy_upstream_latency_seconds_bucket{command="Sync",le="2.5"} 2)"));
    CHECK(has_line(text, R"(easproxy_upstream_latency_seconds_bucket{command="Sync",le="5"} 3)"));
    CHECK(
        has_line(text, R"(easproxy_upstream_latency_seconds_bucket{command="Sync",le="+Inf"} 3)"));
    CHECK(has_line(text, R"(easproxy_upstream_latency_seconds_count{command="Sync"} 3)"));
    CHECK(has_line(text, R"(easproxy_upstream_latency_seconds_sum{command="Sync"} 5.043)"));
    CHECK(
        has_line(text, R"(easproxy_upstream_latency_seconds_bucket{command="Ping",le="3600"} 0)"));
    CHECK(
        has_line(text, R"(easproxy_upstream_latency_seconds_bucket{command="Ping",le="+Inf"} 1)"));
}

TEST_CASE("redirects: seen, each decision, refusals by reason, bindings") {
    std::map<std::string, RedirectCounts> r;
    auto& c = r["https://cas-a.contoso.com"];
    c.seen = 7;
    c.passed = 2;
    c.followed = 3;
    c.rewritten = 1;
    c.refused["allowlist"] = 1;
    MetricsGauges g;
    g.bindings = 4;
    const auto text = render_metrics({}, r, g);
    CHECK(
        has_line(text, R"(easproxy_redirects_seen_total{upstream="https://cas-a.contoso.com"} 7)"));
    CHECK(has_line(
        text,
        R"(easproxy_redirects_total{upstream="https://cas-a.contoso.com",decision="followed"} 3)"));
    CHECK(has_line(
        text,
        R"(easproxy_redirects_total{upstream="https://cas-a.contoso.com",decision="refused"} 1)"));
    CHECK(has_line(
        text,
        R"(easproxy_redirects_refused_total{upstream="https://cas-a.contoso.com",reason="allowlist"} 1)"));
    CHECK(has_line(text, "easproxy_redirect_bindings 4"));
}

TEST_CASE("gauges: connections, in flight, held, trace") {
    MetricsGauges g;
    g.open_connections = 12;
    g.in_flight = 9;
    g.held = 7;
    g.held_after = std::chrono::seconds(5);
    g.web_clients = 2;
    g.flows_kept = 2000;
    g.flows_dropped = 1;
    g.trace_written = 100;
    g.trace_write_errors = 3;
    const auto text = render_metrics({}, {}, g);
    CHECK(has_line(text, "# TYPE easproxy_device_connections gauge"));
    CHECK(has_line(text, "easproxy_device_connections 12"));
    CHECK(has_line(text, "easproxy_requests_in_flight 9"));
    CHECK(has_line(text, "easproxy_requests_held 7"));
    CHECK_THAT(text, Catch::Contains("in flight for longer than 5 s"));
    CHECK(has_line(text, "easproxy_web_clients 2"));
    CHECK(has_line(text, "easproxy_live_flows_kept 2000"));
    CHECK(has_line(text, "easproxy_live_flows_dropped_total 1"));
    CHECK(has_line(text, "easproxy_trace_records_total 100"));
    CHECK(has_line(text, "# TYPE easproxy_trace_write_errors_total counter"));
    CHECK(has_line(text, "easproxy_trace_write_errors_total 3"));
    // Without a trace or bindings, their families are left out rather than shown as 0.
    const auto bare = render_metrics({}, {}, {});
    CHECK_THAT(bare, !Catch::Contains("easproxy_trace_"));
    CHECK_THAT(bare, !Catch::Contains("easproxy_redirect_bindings"));
    CHECK_THAT(bare, !Catch::Contains("easproxy_device_connections"));
}

TEST_CASE("label values are escaped") {
    CHECK(escape_label(R"(a"b\c)"
                       "\n") == R"(a\"b\\c\n)");
    std::map<std::string, RedirectCounts> r;
    r["https://odd\"host"].seen = 1;
    CHECK(has_line(render_metrics({}, r, {}),
                   R"(easproxy_redirects_seen_total{upstream="https://odd\"host"} 1)"));
}
