#include "script.hpp"
#include "ascii.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace eas::device {
namespace {

std::optional<int> number(std::string_view s, int min, int max) {
    int value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || value < min || value > max)
        return std::nullopt;
    return value;
}

bool is_setup(Step::Kind k) {
    return k == Step::Kind::Options || k == Step::Kind::Provision || k == Step::Kind::FolderSync;
}

}  // namespace

std::string_view step_command(Step::Kind kind) {
    switch (kind) {
        case Step::Kind::Options:
            return "Options";
        case Step::Kind::Provision:
            return "Provision";
        case Step::Kind::FolderSync:
            return "FolderSync";
        case Step::Kind::Sync:
            return "Sync";
        case Step::Kind::Ping:
            return "Ping";
        case Step::Kind::SendMail:
            return "SendMail";
        case Step::Kind::Fetch:
            return "ItemOperations";
    }
    return "";
}

std::optional<Script> parse_script(std::string_view text, bool loop, std::string* error) {
    auto fail = [error](std::string why) -> std::optional<Script> {
        if (error) *error = std::move(why);
        return std::nullopt;
    };
    Script script;
    bool marker = false;
    std::vector<Step> steps;
    std::size_t marker_at = 0;

    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto comma = text.find(',', pos);
        const std::string_view item =
            trim(text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos));
        pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
        if (item.empty()) continue;

        const auto colon = item.find(':');
        const std::string name = to_lower(item.substr(0, colon));
        const std::string_view arg =
            colon == std::string_view::npos ? std::string_view{} : item.substr(colon + 1);
        Step step;
        step.text = std::string(item);
        if (name == "repeat") {
            if (marker) return fail("'" + step.text + "': only one repeat marker is allowed");
            marker = true;
            marker_at = steps.size();
            if (arg.empty()) {
                script.rounds = std::nullopt;
            } else if (auto n = number(arg, 1, 1'000'000)) {
                script.rounds = *n;
            } else {
                return fail("'" + step.text + "': repeat takes a round count of at least 1");
            }
            continue;
        }
        if (name == "options") {
            step.kind = Step::Kind::Options;
        } else if (name == "provision") {
            step.kind = Step::Kind::Provision;
        } else if (name == "foldersync") {
            step.kind = Step::Kind::FolderSync;
        } else if (name == "sync") {
            step.kind = Step::Kind::Sync;
            if (!arg.empty()) {
                const auto eq = arg.find('=');
                const std::string key = to_lower(arg.substr(0, eq));
                // -1: no usable number (a plain int keeps GCC's maybe-uninitialized quiet).
                const int value = eq == std::string_view::npos
                                      ? -1
                                      : number(arg.substr(eq + 1), 1, 3600).value_or(-1);
                if (key == "wait" && value >= 1 && value <= 59) {
                    step.sync_wait_minutes = value;
                } else if (key == "heartbeat" && value >= 1) {
                    step.heartbeat_seconds = value;
                } else {
                    return fail("'" + step.text +
                                "': expected sync:wait=MINUTES (1-59) or sync:heartbeat=SECONDS");
                }
            }
        } else if (name == "ping") {
            step.kind = Step::Kind::Ping;
            step.heartbeat_seconds = 60;
            if (!arg.empty()) {
                const auto n = number(arg, 1, 3540);
                if (!n)
                    return fail("'" + step.text +
                                "': ping takes a HeartbeatInterval in seconds (1-3540)");
                step.heartbeat_seconds = *n;
            }
        } else if (name == "sendmail") {
            step.kind = Step::Kind::SendMail;
            step.argument = std::string(arg);
        } else if (name == "fetch") {
            step.kind = Step::Kind::Fetch;
            if (arg.empty())
                return fail("'" + step.text + "': fetch needs a FileReference (fetch:REF)");
            step.argument = std::string(arg);
        } else {
            return fail(
                "unknown step '" + step.text +
                "' (known: options, provision, foldersync, sync, sync:wait=N, ping:N, sendmail, "
                "fetch:REF, repeat:N)");
        }
        steps.push_back(std::move(step));
    }
    if (steps.empty()) return fail("the script has no steps");

    if (marker) {
        script.setup.assign(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(marker_at));
        script.round.assign(steps.begin() + static_cast<std::ptrdiff_t>(marker_at), steps.end());
        if (script.round.empty()) return fail("nothing follows the repeat marker");
        if (loop) script.rounds = std::nullopt;
        return script;
    }
    if (!loop) {
        script.setup = std::move(steps);
        script.round.clear();
        return script;
    }
    // --loop without a marker: the trailing non-setup steps form the round.
    auto first_round = steps.end();
    while (first_round != steps.begin() && !is_setup(std::prev(first_round)->kind)) --first_round;
    script.setup.assign(steps.begin(), first_round);
    script.round.assign(first_round, steps.end());
    if (script.round.empty()) {
        Step sync;
        sync.kind = Step::Kind::Sync;
        sync.text = "sync";
        script.round.push_back(sync);
    }
    script.rounds = std::nullopt;
    return script;
}

}  // namespace eas::device
