// The --script language: a comma list of steps run in order, e.g.
//   options,provision,foldersync,sync,ping:5,sendmail,fetch:5%3a22%3a0
// plus a `repeat:N` marker: the steps after it form a round that runs N times (bare `repeat`
// or --loop: until SIGINT/SIGTERM), --interval seconds apart. Without a marker, --loop repeats
// the trailing steps that are not options/provision/foldersync (a real device sets up once,
// then keeps syncing), or `sync` when there are none.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eas::device {

struct Step {
    enum class Kind { Options, Provision, FolderSync, Sync, Ping, SendMail, Fetch };
    Kind kind = Kind::Sync;
    std::string text;           // as written, for messages ("ping:5")
    int sync_wait_minutes = 0;  // sync:wait=N (Sync Wait is in minutes, 1-59, MS-ASCMD)
    int heartbeat_seconds = 0;  // ping:N, sync:heartbeat=N (seconds)
    std::string argument;       // fetch: FileReference; sendmail: recipient (optional)
};

struct Script {
    std::vector<Step> setup;        // run once
    std::vector<Step> round;        // run `rounds` times; empty: no rounds
    std::optional<int> rounds = 1;  // nullopt: until stopped
    bool has_round() const { return !round.empty(); }
};

// Parses STEPS; `loop` is --loop. Returns nullopt and says why in *error.
std::optional<Script> parse_script(std::string_view text, bool loop, std::string* error);

// The EAS command a step sends ("Sync", "Ping", "ItemOperations"...).
std::string_view step_command(Step::Kind kind);

}  // namespace eas::device
