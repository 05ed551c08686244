// What the probe found: one Step per check, each with a verdict, its timing and the reason in
// plain words, plus the redirects met on the way. The Report collects them in order and turns
// the worst verdict into the exit status.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace eas::probe {

// Skip: a step that did not run (after a failure, or switched off); it never changes the
// exit status.
enum class Verdict { Pass, Warn, Fail, Skip };

std::string_view verdict_name(Verdict v);  // "PASS", "WARN", "FAIL", "SKIP"

struct Step {
    Step() = default;
    Step(std::string step_name, std::string step_target, Verdict v = Verdict::Pass)
        : name(std::move(step_name)), target(std::move(step_target)), verdict(v) {}

    std::string name;    // "Autodiscover", "DNS", "TLS handshake", "OPTIONS"...
    std::string target;  // what it ran against: the e-mail address, or the EAS URL
    Verdict verdict = Verdict::Pass;
    std::int64_t ms = 0;
    std::string summary;               // the reason, in words
    std::vector<std::string> details;  // indented under the step in text output
    nlohmann::ordered_json data = nlohmann::ordered_json::object();  // facts for --json

    void pass(std::string why) { set(Verdict::Pass, std::move(why)); }
    void warn(std::string why) { set(Verdict::Warn, std::move(why)); }
    void fail(std::string why) { set(Verdict::Fail, std::move(why)); }
    void set(Verdict v, std::string why) {
        verdict = v;
        summary = std::move(why);
    }
};

struct Redirect {
    std::string kind;  // "HTTP 451", "HTTP 302", "Autodiscover Redirect", "redirectUrl"
    std::string step;  // the step that met it
    std::string from;
    std::string to;
    bool followed = false;
};

class Report {
  public:
    // Called as each step is added, so text output appears while the probe runs.
    std::function<void(const Step&)> on_step;

    void add(Step step);
    void add_redirect(Redirect r) { redirects_.push_back(std::move(r)); }

    const std::vector<Step>& steps() const { return steps_; }
    const std::vector<Redirect>& redirects() const { return redirects_; }
    Verdict overall() const;  // Fail > Warn > Pass; Skip counts as nothing
    int exit_status() const;
    std::size_t count(Verdict v) const;

    std::string eas_url;  // the last EAS URL used (after Autodiscover and redirects)
    std::string user;     // the user the EAS steps ran as (Autodiscover Redirect may change it)

  private:
    std::vector<Step> steps_;
    std::vector<Redirect> redirects_;
};

}  // namespace eas::probe
