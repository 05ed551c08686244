#include "flow_row.hpp"

#include "request_line.hpp"

namespace eas::proxy {
namespace {

double ms(Steady::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

FlowRow make_flow_row(const Flow& f, const nlohmann::json& record,
                      const redact::Redactor* redactor) {
    FlowRow r;
    r.id = f.id;
    r.when = f.started_at;
    if (const auto it = record.find("time"); it != record.end() && it->is_string())
        r.time = it->get<std::string>();
    r.client = f.client;
    r.upstream = f.upstream;
    r.method = f.request.method;
    r.user = f.user();
    r.device_id = f.eas.device_id;
    r.device_type = f.eas.device_type;
    r.user_agent = f.request.value_or("User-Agent");
    r.command = f.eas.command.empty() ? f.request.method : f.eas.command;
    r.command_label = metric_command(f.eas.command);
    r.query_form = std::string(query_form_name(f.eas.form));
    r.status = f.status();
    if (record.contains("response")) {
        const auto& resp = record["response"];
        if (const auto st = resp.find("eas_status"); st != resp.end() && st->is_object()) {
            r.eas_status = st->value("value", 0);
            r.eas_status_words = st->value("words", "");
        }
    }
    if (f.finished) r.ms = ms(*f.finished);
    if (f.first_response_byte) r.first_byte_ms = ms(*f.first_response_byte);
    r.bytes_up = f.request_body.bytes;
    r.bytes_down = f.response_body.bytes;
    r.x_ms_location = f.ms_location;
    r.redirect_decision = f.redirect_decision;
    r.sent_to_device = f.rewritten_location;
    r.error_stage = f.error_stage;
    r.error = f.error;
    if (redactor && redactor->level() == redact::Level::Strict) {
        if (!r.user.empty()) r.user = redactor->pseudonym("user", r.user);
        if (!r.device_id.empty()) r.device_id = redactor->pseudonym("device", r.device_id);
        r.client = record.value("client", std::string());
    }
    return r;
}

nlohmann::json to_json(const FlowRow& r) {
    nlohmann::json j;
    j["seq"] = r.seq;
    j["id"] = r.id;
    j["time"] = r.time;
    j["client"] = r.client;
    j["upstream"] = r.upstream;
    j["method"] = r.method;
    j["user"] = r.user;
    j["device_id"] = r.device_id;
    j["device_type"] = r.device_type;
    j["user_agent"] = r.user_agent;
    j["command"] = r.command;
    j["query_form"] = r.query_form;
    j["status"] = r.status;
    if (r.eas_status) {
        j["eas_status"] = *r.eas_status;
        j["eas_status_words"] = r.eas_status_words;
    }
    j["ms"] = r.ms;
    if (r.first_byte_ms) j["first_byte_ms"] = *r.first_byte_ms;
    j["bytes_up"] = r.bytes_up;
    j["bytes_down"] = r.bytes_down;
    if (!r.x_ms_location.empty()) j["x_ms_location"] = r.x_ms_location;
    if (!r.redirect_decision.empty()) j["redirect_decision"] = r.redirect_decision;
    if (!r.sent_to_device.empty()) j["sent_to_device"] = r.sent_to_device;
    if (!r.error.empty()) {
        j["error_stage"] = r.error_stage;
        j["error"] = r.error;
    }
    return j;
}

std::string metric_command(const std::string& eas_command) {
    if (eas_command.empty()) return "none";
    if (const auto code = command_code(eas_command)) return std::string(command_name(*code));
    return "other";
}

}  // namespace eas::proxy
