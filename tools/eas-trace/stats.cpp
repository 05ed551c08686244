#include "stats.hpp"

#include <algorithm>
#include <vector>

#include "format.hpp"

namespace eas::trace {
namespace {

nlohmann::json optional_number(std::optional<double> v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

double rate(std::uint64_t part, std::uint64_t whole) {
    return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

std::string dash_if_empty(const std::string& s) {
    return s.empty() ? "-" : s;
}

struct Row {
    std::string label;
    const GroupStats* stats;
};

constexpr const char* kMetricTitles[] = {"FLOWS",  "ERRORS", "ERR%",   "451", "451%", "P50 MS",
                                         "P90 MS", "P99 MS", "MAX MS", "UP",  "DOWN"};
constexpr std::size_t kMetricWidth[] = {6, 6, 6, 5, 6, 8, 8, 8, 8, 7, 7};

std::vector<std::string> metric_cells(const GroupStats& g) {
    return {std::to_string(g.flows),
            std::to_string(g.errors),
            percent(g.errors, g.flows),
            std::to_string(g.saw_451),
            percent(g.saw_451, g.flows),
            human_ms(g.latency.percentile(50)),
            human_ms(g.latency.percentile(90)),
            human_ms(g.latency.percentile(99)),
            human_ms(g.latency.max()),
            human_bytes(g.bytes_up),
            human_bytes(g.bytes_down)};
}

void table(std::string& out, const std::string& title, const std::vector<Row>& rows,
           std::size_t label_width) {
    std::string line = pad_right(title, label_width);
    for (std::size_t i = 0; i < std::size(kMetricTitles); ++i)
        line += "  " + pad_left(kMetricTitles[i], kMetricWidth[i]);
    out += line + "\n";
    for (const auto& row : rows) {
        line = pad_right(row.label, label_width);
        const auto cells = metric_cells(*row.stats);
        for (std::size_t i = 0; i < cells.size(); ++i)
            line += "  " + pad_left(cells[i], kMetricWidth[i]);
        out += line + "\n";
    }
}

}  // namespace

void GroupStats::add(const Summary& s) {
    ++flows;
    if (s.has_error) ++errors;
    if (s.saw_451()) ++saw_451;
    bytes_up += s.bytes_up;
    bytes_down += s.bytes_down;
    if (s.total_ms) latency.add(*s.total_ms);
}

nlohmann::json GroupStats::to_json() const {
    return {{"flows", flows},
            {"errors", errors},
            {"error_rate", rate(errors, flows)},
            {"saw_451", saw_451},
            {"rate_451", rate(saw_451, flows)},
            {"latency_ms",
             {{"count", latency.count()},
              {"p50", optional_number(latency.percentile(50))},
              {"p90", optional_number(latency.percentile(90))},
              {"p99", optional_number(latency.percentile(99))},
              {"max", optional_number(latency.max())},
              {"exact", latency.exact()}}},
            {"bytes_up", bytes_up},
            {"bytes_down", bytes_down}};
}

void Stats::add(const Summary& s) {
    devices[{s.user, s.device_id, s.device_type}].add(s);
    commands[s.command].add(s);
    total.add(s);
}

std::string stats_text(const Stats& stats) {
    std::vector<Row> device_rows;
    for (const auto& [key, g] : stats.devices) {
        device_rows.push_back({dash_if_empty(key.user) + " / " + dash_if_empty(key.device_id) +
                                   " / " + dash_if_empty(key.device_type),
                               &g});
    }
    std::vector<Row> command_rows;
    for (const auto& [command, g] : stats.commands)
        command_rows.push_back({dash_if_empty(command), &g});

    const std::string device_title = "DEVICE (user / DeviceId / DeviceType)";
    const std::string command_title = "COMMAND";
    std::size_t width = std::max(device_title.size(), command_title.size());
    for (const auto& r : device_rows) width = std::max(width, r.label.size());
    for (const auto& r : command_rows) width = std::max(width, r.label.size());

    std::string out;
    table(out, device_title, device_rows, width);
    out += "\n";
    command_rows.push_back({"TOTAL", &stats.total});
    table(out, command_title, command_rows, width);
    if (!stats.total.latency.exact())
        out += "\n(percentiles from 1% buckets: more than " +
               std::to_string(LatencySketch::kExactSamples) + " flows in a group)\n";
    return out;
}

nlohmann::json stats_json(const Stats& stats) {
    auto devices = nlohmann::json::array();
    for (const auto& [key, g] : stats.devices) {
        auto j = g.to_json();
        j["user"] = key.user;
        j["device_id"] = key.device_id;
        j["device_type"] = key.device_type;
        devices.push_back(std::move(j));
    }
    auto commands = nlohmann::json::array();
    for (const auto& [command, g] : stats.commands) {
        auto j = g.to_json();
        j["command"] = command;
        commands.push_back(std::move(j));
    }
    return {{"devices", devices}, {"commands", commands}, {"total", stats.total.to_json()}};
}

int run_stats(TraceReader& reader, const StatsOptions& options, std::ostream& out) {
    Stats stats;
    reader.read([&](const Record& r) {
        if (options.filter.matches(*r.summary)) stats.add(*r.summary);
        return true;
    });
    if (options.json) {
        auto j = stats_json(stats);
        j["bad_lines"] = reader.bad_lines();
        out << dump_json(j, 2) << "\n";
    } else {
        out << stats_text(stats);
    }
    out.flush();
    return reader.finish();
}

}  // namespace eas::trace
