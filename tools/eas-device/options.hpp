// Command line of eas-device: who the device is, where it talks, how it treats 451, what it does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "identity.hpp"
#include "script.hpp"
#include "url.hpp"

namespace eas::device {

enum class Behaviour { Compliant, Legacy };

// The identity part (user, password from --password or the --password-env variable, device,
// EAS version, query form) is what the request builders take.
struct Options : Identity {
    Url url;
    std::optional<Url> proxy;  // --proxy: an http:// forward proxy, as a phone's Wi-Fi setting
    std::vector<std::string> ca_files;  // each adds trust anchors (the proxy's, the CAS's...)
    bool insecure = false;
    Behaviour behaviour = Behaviour::Compliant;
    Script script;
    double interval_seconds = 10;
    int retries = 3;  // legacy: retries of the same URL after a 451
    double retry_delay_seconds = 1;
    int max_redirects = 3;        // compliant: 451 hops per request (AOSP's limit)
    double timeout_seconds = 60;  // connect, and reads beyond what Ping/Sync Wait may hold
    std::size_t decode_limit =
        4 * 1024 * 1024;  // body bytes kept for decoding; the rest is counted
    bool verbose = false;
    bool json = false;
};

// Parses argv. Returns the options, or the exit status when the program should stop now
// (0 after --help, 2 after a usage error, with the message already printed).
struct ParsedOptions {
    std::optional<Options> options;
    int exit_status = 0;
};
ParsedOptions parse_options(int argc, char** argv);

std::string_view behaviour_name(Behaviour b);

}  // namespace eas::device
