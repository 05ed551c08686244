// /metrics on the --web listener, in the Prometheus text exposition format (version 0.0.4).
// FlowMetrics counts completed flows (the live view feeds it under its lock); render_metrics()
// is pure: counts and gauges in, text out.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flow_row.hpp"
#include "redirect_counters.hpp"

namespace eas::proxy {

class FlowMetrics {
  public:
    // Upper bounds of the upstream latency buckets, in seconds. Ping and Sync with Wait are
    // held for up to an hour, hence the long tail.
    static const std::vector<double>& latency_buckets();

    struct Histogram {
        std::vector<std::uint64_t> counts;  // per bucket, not cumulative; last = above all
        double sum = 0;
        std::uint64_t count = 0;
    };

    void add(const FlowRow& row);

    // (command label, HTTP status sent to the device) -> flows
    std::map<std::pair<std::string, int>, std::uint64_t> flows;
    // (command label, first EAS Status of the response) -> flows
    std::map<std::pair<std::string, int>, std::uint64_t> eas_status;
    // error stage ("upstream connect", "device"...) -> flows that ended in an error
    std::map<std::string, std::uint64_t> errors;
    // command label -> time from the request's head to the upstream's first response byte
    std::map<std::string, Histogram> latency;
    std::uint64_t bytes_up = 0, bytes_down = 0;
};

struct MetricsGauges {
    std::optional<long> open_connections;  // device connections
    std::size_t in_flight = 0;             // requests waiting for or receiving their answer
    std::size_t held = 0;                  // of those, waiting longer than held_after
    std::chrono::seconds held_after{5};
    std::optional<std::size_t> bindings;  // redirect bindings in force
    std::size_t web_clients = 0;          // live view pages connected (Server-Sent Events)
    std::size_t flows_kept = 0;           // flows the live view keeps in memory
    std::uint64_t flows_dropped = 0;      // left out of the live view (its queue was full)
    std::optional<std::uint64_t> trace_written, trace_write_errors;  // with --trace
};

// The whole exposition text. Label values are escaped as the format requires.
std::string render_metrics(const FlowMetrics& flows,
                           const std::map<std::string, RedirectCounts>& redirects,
                           const MetricsGauges& gauges);

// `value` escaped for a label: backslash, double quote and line feed.
std::string escape_label(const std::string& value);

}  // namespace eas::proxy
