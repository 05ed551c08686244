#include "json_output.hpp"

#include "ascii.hpp"

namespace eas::probe {
namespace {

std::string lower(std::string_view s) {
    return eas::to_lower(s);
}

}  // namespace

void write_json(std::ostream& out, const Options& o, const Report& r) {
    using json = nlohmann::ordered_json;
    json doc;
    doc["tool"] = "eas-probe";
    doc["target"] = o.target;
    doc["email"] = o.email.empty() ? json() : json(o.email);
    doc["user"] = r.user.empty() ? o.identity.user : r.user;
    doc["eas_version"] = o.identity.eas_version;
    doc["device_id"] = o.identity.device_id;
    doc["device_type"] = o.identity.device_type;
    doc["user_agent"] = o.identity.user_agent;
    doc["follow_451"] = o.follow;
    doc["max_redirects"] = o.max_redirects;
    doc["result"] = lower(verdict_name(r.overall()));
    doc["exit_status"] = r.exit_status();
    doc["eas_url"] = r.eas_url.empty() ? json() : json(r.eas_url);
    doc["counts"] = {{"pass", r.count(Verdict::Pass)},
                     {"warn", r.count(Verdict::Warn)},
                     {"fail", r.count(Verdict::Fail)},
                     {"skip", r.count(Verdict::Skip)}};
    json redirects = json::array();
    for (const auto& x : r.redirects()) {
        redirects.push_back({{"kind", x.kind},
                             {"step", x.step},
                             {"from", x.from},
                             {"to", x.to},
                             {"followed", x.followed}});
    }
    doc["redirects"] = std::move(redirects);
    json steps = json::array();
    for (const auto& s : r.steps()) {
        steps.push_back({{"name", s.name},
                         {"target", s.target},
                         {"status", lower(verdict_name(s.verdict))},
                         {"ms", s.ms},
                         {"summary", s.summary},
                         {"details", s.details},
                         {"data", s.data}});
    }
    doc["steps"] = std::move(steps);
    // A server's bytes (folder names, headers) may be invalid UTF-8: replace, never abort.
    out << doc.dump(2, ' ', false, json::error_handler_t::replace) << std::endl;
}

}  // namespace eas::probe
