#include "probe.hpp"

#include <algorithm>

#include "autodiscover_step.hpp"

namespace eas::probe {
namespace {

std::chrono::milliseconds timeout_of(const Options& o) {
    return std::chrono::milliseconds(
        std::max<std::int64_t>(1, static_cast<std::int64_t>(o.timeout_seconds * 1000)));
}

std::string chain_text(const std::vector<std::string>& urls, const std::string& last) {
    std::string out;
    for (const auto& u : urls) out += u + " -> ";
    return out + last;
}

}  // namespace

Probe::Probe(net::asio::any_io_executor ex, const Options& o, net::ssl::context& check_tls,
             net::ssl::context& client_tls, Report& report)
    : ex_(ex),
      o_(o),
      identity_(o.identity),
      origin_settings_{&check_tls, o.connect_to, timeout_of(o), o.insecure},
      conn_(ex, device::Connection::Settings{&client_tls, timeout_of(o), 4 * 1024 * 1024,
                                             std::nullopt, o.connect_to}),
      report_(report),
      session_(conn_, identity_, o.provision) {}

net::awaitable<bool> Probe::origin_ok() {
    const std::string origin = session_.url.origin();
    if (const auto it = origins_.find(origin); it != origins_.end()) co_return it->second;
    const std::size_t before = report_.steps().size();
    const bool ok = co_await check_origin(ex_, session_.url, origin_settings_, report_);
    origins_[origin] = ok;
    if (!ok && report_.steps().size() > before) stopped_by_ = report_.steps().back().name;
    co_return ok;
}

bool Probe::follow_451(Step& step) {
    const auto& head = session_.redirect_head();
    const std::string from = session_.url.to_string();
    const std::string* location = head.find("X-MS-Location");
    step.data["http_status"] = 451;
    step.data["x_ms_location"] = location ? nlohmann::ordered_json(*location) : nullptr;
    if (!location || location->empty()) {
        step.fail(
            "HTTP 451 without X-MS-Location: the server redirects but does not say where "
            "(devices crash on this or fall back to Autodiscover)");
        return false;
    }
    std::string why;
    auto target = device::parse_url(*location, &why);
    if (!target) {
        step.fail("HTTP 451 with an unusable X-MS-Location '" + *location + "': " + why);
        return false;
    }
    // A location without a path keeps the current one (AOSP keeps only the host anyway).
    if (target->path.empty()) target->path = session_.url.path;
    const std::string to = target->to_string();
    Redirect record{"HTTP 451", step.name, from, to, false};
    step.details.push_back("X-MS-Location: " + *location);
    if (!o_.follow) {
        step.fail("HTTP 451: the server redirects to " + to +
                  "; not followed (--no-follow), so a device that ignores 451 cannot sync with "
                  "this URL");
    } else if (std::find(visited_.begin(), visited_.end(), to) != visited_.end()) {
        step.fail("redirect loop: " + chain_text(visited_, to) + " (HTTP 451)");
    } else if (static_cast<int>(visited_.size()) > o_.max_redirects) {
        step.fail("too many redirects: HTTP 451 to " + to + " after " +
                  std::to_string(visited_.size() - 1) + " followed (--max-redirects " +
                  std::to_string(o_.max_redirects) + "): " + chain_text(visited_, to));
    } else {
        record.followed = true;
        step.warn("HTTP 451: the server redirects to " + to +
                  " (X-MS-Location); followed, but devices that ignore 451 stop here. Point "
                  "them at the new URL");
        if (!target->tls())
            step.details.push_back(
                "the new URL is http://: the password will cross the network "
                "in clear");
    }
    report_.add_redirect(record);
    if (!record.followed) return false;
    visited_.push_back(to);
    session_.url = *target;
    report_.eas_url = to;
    return true;
}

net::awaitable<bool> Probe::eas_step(const Planned& planned) {
    for (;;) {
        Step step{planned.name, session_.url.to_string()};
        const auto outcome = co_await (session_.*planned.fn)(step);
        if (outcome == EasSession::Outcome::Redirected) {
            const bool followed = follow_451(step);
            report_.add(std::move(step));
            if (!followed) {
                stopped_by_ = planned.name;
                co_return false;
            }
            // The 451'd request was not executed: check the new origin, then send it there.
            if (!co_await origin_ok()) co_return false;
            continue;
        }
        const bool ok = step.verdict != Verdict::Fail;
        if (!ok) stopped_by_ = planned.name;
        report_.add(std::move(step));
        co_return ok;
    }
}

void Probe::skip(const std::vector<Planned>& plan, std::size_t from, const std::string& target,
                 const std::string& why) {
    for (std::size_t i = from; i < plan.size(); ++i) skip_one(plan[i].name, target, why);
}

void Probe::skip_one(const std::string& name, const std::string& target, const std::string& why) {
    Step s{name, target, Verdict::Skip};
    s.summary = why;
    report_.add(std::move(s));
}

net::awaitable<void> Probe::run() {
    std::vector<Planned> plan{{"OPTIONS", &EasSession::options},
                              {"Provision", &EasSession::provision},
                              {"FolderSync", &EasSession::folder_sync}};
    if (o_.sync_inbox) plan.push_back({"Sync Inbox", &EasSession::sync_inbox});

    if (!o_.email.empty()) {
        Autodiscover autodiscover(conn_, identity_, o_.user_follows_email, report_);
        const auto url = co_await autodiscover.run(o_.email);
        if (!url) {
            skip(plan, 0, o_.email, "not run: Autodiscover gave no EAS URL");
            co_return;
        }
        session_.url = *url;
        report_.user = identity_.user;
    } else {
        session_.url = *o_.url;
    }
    report_.eas_url = session_.url.to_string();
    visited_.push_back(report_.eas_url);

    if (!co_await origin_ok()) {
        skip(plan, 0, session_.url.to_string(), "not run: " + stopped_by_ + " failed");
        co_return;
    }
    for (std::size_t i = 0; i < plan.size(); ++i) {
        if (plan[i].fn == &EasSession::provision && !o_.provision) {
            skip_one(plan[i].name, session_.url.to_string(), "not run (--no-provision)");
            continue;
        }
        if (!co_await eas_step(plan[i])) {
            skip(plan, i + 1, session_.url.to_string(), "not run: " + stopped_by_ + " failed");
            co_return;
        }
    }
}

}  // namespace eas::probe
