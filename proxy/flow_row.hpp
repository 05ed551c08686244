// One completed flow as the live view's table, the devices view and /metrics see it: the facts
// of the log line, taken from the flow and its trace record (so the EAS Status is decoded once).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "flow.hpp"
#include "redactor.hpp"

namespace eas::proxy {

struct FlowRow {
    std::uint64_t seq = 0;  // order of completion in this run (the live view's event id)
    std::uint64_t id = 0;   // the flow number, as in the log and the trace
    Clock::time_point when{};
    std::string time;  // ISO 8601, UTC
    std::string client, upstream;
    std::string method;
    std::string user, device_id, device_type, user_agent;
    std::string command;        // the EAS command, else the HTTP method (OPTIONS, autodiscover...)
    std::string command_label;  // metric_command() of the EAS command
    std::string query_form;
    int status = 0;  // sent to the device (easproxy's own when it answered), 0: none
    std::optional<int> eas_status;
    std::string eas_status_words;
    double ms = 0;
    std::optional<double> first_byte_ms;  // the upstream's latency: request start -> first byte
    std::uint64_t bytes_up = 0, bytes_down = 0;
    std::string x_ms_location, redirect_decision, sent_to_device;
    std::string error_stage, error;

    bool failed() const { return !error.empty() || status == 0 || status >= 400; }
    // The device got the 451 itself (passed, or a redirect easproxy refused to carry out).
    bool device_got_451() const {
        return status == 451 && redirect_decision != "rewritten" && redirect_decision != "followed";
    }
};

// `record` is flow_record(flow, ...): the EAS Status comes from it. With a strict `redactor`
// (--redact strict) users, device ids and addresses are pseudonymised as in the record.
FlowRow make_flow_row(const Flow& flow, const nlohmann::json& record,
                      const redact::Redactor* redactor = nullptr);
nlohmann::json to_json(const FlowRow& row);

// The label /metrics uses for a command: its canonical MS-ASHTTP name when it has a code,
// "none" without one (OPTIONS, Autodiscover), "other" for anything a device made up (labels
// must stay few, whatever devices send).
std::string metric_command(const std::string& eas_command);

}  // namespace eas::proxy
