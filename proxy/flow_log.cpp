#include "flow_log.hpp"

#include <spdlog/spdlog.h>

#include "log_setup.hpp"
#include "status_words.hpp"

namespace eas::proxy {
namespace {

std::string size_text(std::uint64_t bytes) {
    char buf[32];
    if (bytes < 1024) {
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    } else if (bytes < 1024 * 1024) {
        std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    }
    return buf;
}

long long elapsed_ms(const Flow& f) {
    return f.finished ? std::chrono::duration_cast<std::chrono::milliseconds>(*f.finished).count()
                      : 0;
}

// --redact strict pseudonymises users, devices and addresses in log lines as in traces. Set once
// at start, before the I/O threads run.
std::shared_ptr<const redact::Redactor> log_redactor;

bool strict_logs() {
    return log_redactor && log_redactor->level() == redact::Level::Strict;
}

std::string shown_user(const Flow& f) {
    return strict_logs() ? log_redactor->pseudonym("user", f.user()) : f.user();
}
std::string shown_device(const Flow& f) {
    return strict_logs() ? log_redactor->pseudonym("device", f.eas.device_id) : f.eas.device_id;
}
// The request target as logged: its query's user and device pseudonymised at strict.
std::string shown_target(const Flow& f) {
    if (!log_redactor || log_redactor->level() == redact::Level::Secrets) return f.request.target;
    nlohmann::json j = {{"request", {{"target", f.request.target}, {"eas", to_json(f.eas)}}}};
    log_redactor->redact_envelope(j);
    return j["request"]["target"];
}
std::string shown_client(const Flow& f) {
    if (!strict_logs()) return f.client;
    nlohmann::json j = {{"client", f.client}};
    log_redactor->redact_envelope(j);
    return j["client"];
}

// What a log shipper indexes: the same facts as the text line, as fields.
nlohmann::json flow_fields(const Flow& f, const FlowSummary* summary) {
    nlohmann::json j;
    j["flow"] = f.id;
    j["client"] = shown_client(f);
    j["user"] = shown_user(f);
    j["device_id"] = shown_device(f);
    j["device_type"] = f.eas.device_type;
    j["command"] = f.eas.command.empty() ? f.request.method : f.eas.command;
    j["upstream"] = f.upstream;
    j["ms"] = elapsed_ms(f);
    j["bytes_up"] = f.request_body.bytes;
    j["bytes_down"] = f.response_body.bytes;
    if (f.response) j["http_status"] = f.response->status;
    if (summary && summary->status) {
        j["eas_status"] = summary->status->value;
        j["eas_status_words"] = summary->status->words;
    }
    if (!f.ms_location.empty()) j["x_ms_location"] = f.ms_location;
    if (!f.redirect_decision.empty()) j["redirect_decision"] = f.redirect_decision;
    if (!f.error.empty()) {
        j["error_stage"] = f.error_stage;
        j["error"] = f.error;
        if (f.synthesized_status) j["http_status"] = f.synthesized_status;
    }
    return j;
}

}  // namespace

void set_log_redactor(std::shared_ptr<const redact::Redactor> redactor) {
    log_redactor = std::move(redactor);
}

std::string who(const Flow& f) {
    const std::string user = shown_user(f);
    std::string out = user.empty() ? "-" : user;
    out += ' ';
    const std::string device = shown_device(f);
    out += device.empty() ? "-" : device;
    out += ' ';
    out += f.eas.device_type.empty() ? "-" : f.eas.device_type;
    return out;
}

FlowLog::FlowLog(std::shared_ptr<spdlog::logger> log, RecordOptions options)
    : log_(std::move(log)), options_(options) {}

void FlowLog::response_complete(const Flow& f) {
    const auto summary = summarize(f, options_);
    const int status = f.status();
    const std::string command = summary.command.empty() ? f.request.method : summary.command;
    std::string line = who(f) + " " + command + " -> " + std::to_string(status);
    if (summary.status) {
        line += " Status " + std::to_string(summary.status->value);
        if (!summary.status->words.empty()) line += " (" + summary.status->words + ")";
    }
    line += ", " + std::to_string(elapsed_ms(f)) + " ms, " + size_text(f.request_body.bytes) +
            " up, " + size_text(f.response_body.bytes) + " down";
    if (!summary.body_note.empty()) line += " [" + summary.body_note + "]";
    // The fields only matter to --log-format json; text logs skip building them.
    const auto fields = structured_logging() ? flow_fields(f, &summary) : nlohmann::json();
    const ScopedLogFields scope(fields);

    // Autodiscover is the other way devices are moved between servers: say so as loudly.
    if (!summary.autodiscover_redirect.empty()) {
        log_->warn("{} | Autodiscover {}: the device is sent to {}", line,
                   summary.autodiscover_redirect == "redirect_address"
                       ? "Redirect (new e-mail address)"
                       : "redirectUrl (new Autodiscover URL)",
                   strict_logs() && summary.autodiscover_redirect == "redirect_address"
                       ? log_redactor->pseudonym("email", summary.autodiscover_target)
                       : summary.autodiscover_target);
        return;
    }
    if ((status == 301 || status == 302 || status == 307 || status == 308) &&
        f.request.target.find("utodiscover") != std::string::npos) {
        log_->warn("{} | Autodiscover HTTP {} to {}", line, status,
                   f.response->value_or("Location", "(no Location)"));
        return;
    }
    if (status == 451 && f.redirect_decision == "rewritten") {
        log_->warn(
            "{} | HTTP 451 rewritten: the device is told {} (itself); its requests will go to {} "
            "through easproxy",
            line, f.rewritten_location, f.ms_location);
        return;
    }
    if (status == 451) {
        log_->warn(
            "{} | HTTP 451 redirect: X-MS-Location {} (requested {}; User-Agent {}; device told to "
            "move, "
            "decision: {})",
            line, f.ms_location.empty() ? "MISSING (devices fail without it)" : f.ms_location,
            shown_target(f), f.request.value_or("User-Agent", "-"),
            f.redirect_decision.empty() ? "pass" : f.redirect_decision);
        return;
    }
    if (f.redirect_decision == "followed") {
        log_->warn("{} | after HTTP 451 from {} followed to {} on the device's behalf", line,
                   f.redirect_chain.front(), f.upstream);
        return;
    }
    const auto meaning = http_status_meaning(status);
    if (status == 449 || status == 401 || status == 403 || status == 503 || status >= 500) {
        log_->warn("{} | {}", line, meaning);
        return;
    }
    log_->info("{}", line);
}

void FlowLog::error(const Flow& f) {
    std::string line = who(f) + " " + (f.eas.command.empty() ? f.request.method : f.eas.command);
    if (f.synthesized_status)
        line += " -> " + std::to_string(f.synthesized_status) + " (answered by easproxy)";
    const auto fields = structured_logging() ? flow_fields(f, nullptr) : nlohmann::json();
    const ScopedLogFields scope(fields);
    log_->error("{} | {}: {} ({} ms)", line, f.error_stage, f.error, elapsed_ms(f));
}

}  // namespace eas::proxy
