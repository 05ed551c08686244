// `eas-trace stats`: per device (user, DeviceId, DeviceType) and per command: flows, errors,
// 451s, latency percentiles (timings_ms.total) and bytes, plus totals. Memory grows with the
// number of devices and commands, not flows (see latency.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "filter.hpp"
#include "latency.hpp"
#include "reader.hpp"

namespace eas::trace {

struct GroupStats {
    std::uint64_t flows = 0;
    std::uint64_t errors = 0;      // flows with an `error`
    std::uint64_t saw_451 = 0;     // flows where an upstream answered 451
    std::uint64_t bytes_up = 0;    // request body bytes
    std::uint64_t bytes_down = 0;  // response body bytes
    LatencySketch latency;         // flows with timings_ms.total only

    void add(const Summary& s);
    nlohmann::json to_json() const;
};

struct DeviceKey {
    std::string user;
    std::string device_id;
    std::string device_type;
    bool operator<(const DeviceKey& o) const {
        return std::tie(user, device_id, device_type) <
               std::tie(o.user, o.device_id, o.device_type);
    }
};

struct Stats {
    std::map<DeviceKey, GroupStats> devices;
    std::map<std::string, GroupStats> commands;
    GroupStats total;

    void add(const Summary& s);
};

std::string stats_text(const Stats& stats);
nlohmann::json stats_json(const Stats& stats);

struct StatsOptions {
    Filter filter;
    bool json = false;
};

int run_stats(TraceReader& reader, const StatsOptions& options, std::ostream& out);

}  // namespace eas::trace
