#include "metrics.hpp"

#include <charconv>

namespace eas::proxy {
namespace {

std::string number(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::string status_label(int status) {
    return status ? std::to_string(status) : "none";
}

class Writer {
  public:
    void family(const char* name, const char* type, const char* help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    void sample(const std::string& name,
                const std::vector<std::pair<std::string, std::string>>& labels,
                const std::string& value) {
        out_ += name;
        if (!labels.empty()) {
            out_ += '{';
            bool first = true;
            for (const auto& [k, v] : labels) {
                if (!first) out_ += ',';
                first = false;
                out_ += k + "=\"" + escape_label(v) + "\"";
            }
            out_ += '}';
        }
        out_ += ' ';
        out_ += value;
        out_ += '\n';
    }
    void sample(const std::string& name,
                const std::vector<std::pair<std::string, std::string>>& labels,
                std::uint64_t value) {
        sample(name, labels, std::to_string(value));
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

}  // namespace

const std::vector<double>& FlowMetrics::latency_buckets() {
    static const std::vector<double> buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,  1,   2.5,
                                                5,     10,   30,    60,   300, 900,  1800, 3600};
    return buckets;
}

void FlowMetrics::add(const FlowRow& row) {
    const std::string& command = row.command_label;
    ++flows[{command, row.status}];
    if (row.eas_status) ++eas_status[{command, *row.eas_status}];
    if (!row.error.empty()) ++errors[row.error_stage.empty() ? "other" : row.error_stage];
    bytes_up += row.bytes_up;
    bytes_down += row.bytes_down;
    if (row.first_byte_ms) {
        const auto& bounds = latency_buckets();
        auto& h = latency[command];
        if (h.counts.empty()) h.counts.assign(bounds.size() + 1, 0);
        const double s = *row.first_byte_ms / 1000.0;
        std::size_t i = 0;
        while (i < bounds.size() && s > bounds[i]) ++i;
        ++h.counts[i];
        h.sum += s;
        ++h.count;
    }
}

std::string escape_label(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string render_metrics(const FlowMetrics& m,
                           const std::map<std::string, RedirectCounts>& redirects,
                           const MetricsGauges& g) {
    Writer w;
    w.family("easproxy_flows_total", "counter",
             "Completed flows by EAS command and the HTTP status the device got (none: no "
             "answer).");
    for (const auto& [key, n] : m.flows)
        w.sample("easproxy_flows_total",
                 {{"command", key.first}, {"status", status_label(key.second)}}, n);
    w.family("easproxy_eas_status_total", "counter",
             "Responses by EAS command and the first EAS Status of the response body.");
    for (const auto& [key, n] : m.eas_status)
        w.sample("easproxy_eas_status_total",
                 {{"command", key.first}, {"eas_status", std::to_string(key.second)}}, n);
    w.family("easproxy_flow_errors_total", "counter",
             "Flows that ended in an error, by where it happened.");
    for (const auto& [stage, n] : m.errors)
        w.sample("easproxy_flow_errors_total", {{"stage", stage}}, n);
    w.family("easproxy_body_bytes_total", "counter",
             "Body bytes through the proxy: up (device to upstream) and down.");
    w.sample("easproxy_body_bytes_total", {{"direction", "up"}}, m.bytes_up);
    w.sample("easproxy_body_bytes_total", {{"direction", "down"}}, m.bytes_down);

    w.family("easproxy_upstream_latency_seconds", "histogram",
             "Time from the device's request head to the upstream's first response byte, by "
             "EAS command (Ping and Sync with Wait are held by design).");
    const auto& bounds = FlowMetrics::latency_buckets();
    for (const auto& [command, h] : m.latency) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= bounds.size(); ++i) {
            cumulative += i < h.counts.size() ? h.counts[i] : 0;
            w.sample("easproxy_upstream_latency_seconds_bucket",
                     {{"command", command}, {"le", i < bounds.size() ? number(bounds[i]) : "+Inf"}},
                     cumulative);
        }
        w.sample("easproxy_upstream_latency_seconds_sum", {{"command", command}}, number(h.sum));
        w.sample("easproxy_upstream_latency_seconds_count", {{"command", command}}, h.count);
    }

    w.family("easproxy_redirects_seen_total", "counter",
             "HTTP 451 answers seen, by the upstream that sent them.");
    for (const auto& [upstream, c] : redirects)
        w.sample("easproxy_redirects_seen_total", {{"upstream", upstream}}, c.seen);
    w.family("easproxy_redirects_total", "counter",
             "What easproxy did with each 451: passed, followed, rewritten or refused.");
    for (const auto& [upstream, c] : redirects) {
        std::uint64_t refused = 0;
        for (const auto& [why, n] : c.refused) refused += n;
        w.sample("easproxy_redirects_total", {{"upstream", upstream}, {"decision", "passed"}},
                 c.passed);
        w.sample("easproxy_redirects_total", {{"upstream", upstream}, {"decision", "followed"}},
                 c.followed);
        w.sample("easproxy_redirects_total", {{"upstream", upstream}, {"decision", "rewritten"}},
                 c.rewritten);
        w.sample("easproxy_redirects_total", {{"upstream", upstream}, {"decision", "refused"}},
                 refused);
    }
    w.family("easproxy_redirects_refused_total", "counter",
             "451 redirects easproxy refused to follow or rewrite, by reason.");
    for (const auto& [upstream, c] : redirects)
        for (const auto& [why, n] : c.refused)
            w.sample("easproxy_redirects_refused_total", {{"upstream", upstream}, {"reason", why}},
                     n);
    if (g.bindings) {
        w.family("easproxy_redirect_bindings", "gauge",
                 "Devices bound to another upstream by a followed or rewritten 451.");
        w.sample("easproxy_redirect_bindings", {}, *g.bindings);
    }

    if (g.open_connections) {
        w.family("easproxy_device_connections", "gauge", "Device connections open.");
        w.sample("easproxy_device_connections", {},
                 std::to_string(*g.open_connections < 0 ? 0 : *g.open_connections));
    }
    w.family("easproxy_requests_in_flight", "gauge",
             "Requests received whose exchange has not finished.");
    w.sample("easproxy_requests_in_flight", {}, g.in_flight);
    w.family("easproxy_requests_held", "gauge",
             ("Requests in flight for longer than " + std::to_string(g.held_after.count()) +
              " s (held by the upstream: Ping, Sync with Wait, or a slow CAS).")
                 .c_str());
    w.sample("easproxy_requests_held", {}, g.held);
    w.family("easproxy_web_clients", "gauge", "Live view pages connected.");
    w.sample("easproxy_web_clients", {}, g.web_clients);
    w.family("easproxy_live_flows_kept", "gauge", "Flows the live view keeps in memory.");
    w.sample("easproxy_live_flows_kept", {}, g.flows_kept);
    w.family("easproxy_live_flows_dropped_total", "counter",
             "Flows left out of the live view and these counts because its queue was full.");
    w.sample("easproxy_live_flows_dropped_total", {}, g.flows_dropped);
    if (g.trace_written) {
        w.family("easproxy_trace_records_total", "counter", "Flows written to the trace.");
        w.sample("easproxy_trace_records_total", {}, *g.trace_written);
    }
    if (g.trace_write_errors) {
        w.family("easproxy_trace_write_errors_total", "counter",
                 "Trace records that could not be written.");
        w.sample("easproxy_trace_write_errors_total", {}, *g.trace_write_errors);
    }
    return w.take();
}

}  // namespace eas::proxy
