// Command line of eas-probe: what to test (an EAS URL, or an e-mail address to start from
// Autodiscover), as whom, which steps, and how to report.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connect_to.hpp"
#include "identity.hpp"
#include "url.hpp"

namespace eas::probe {

// Exit status: the worst verdict of any step; usage errors share 2 with failures, so a script
// only has to tell "0 fine, 1 look at it, 2 broken".
inline constexpr int kExitPass = 0;
inline constexpr int kExitWarn = 1;
inline constexpr int kExitFail = 2;

struct Options {
    device::Identity identity;       // the password is filled in by main(), never from argv
    std::string target;              // as typed
    std::optional<device::Url> url;  // the target is an EAS URL...
    std::string email;               // ...or an e-mail address for Autodiscover
    // --user not given: the user is the e-mail address and follows Autodiscover Redirect to a
    // new address, as devices do.
    bool user_follows_email = false;
    std::vector<std::string> ca_files;
    bool insecure = false;
    bool follow = true;  // --no-follow: a 451 ends the probe
    int max_redirects = 3;
    bool provision = true;
    bool sync_inbox = false;
    bool json = false;
    double timeout_seconds = 30;
    std::vector<device::ConnectTo> connect_to;
};

// Parses argv. Returns the options, or the exit status when the program should stop now
// (0 after --help, 2 after a usage error, with the message already printed).
struct ParsedOptions {
    std::optional<Options> options;
    int exit_status = 0;
};
ParsedOptions parse_options(int argc, char** argv);

}  // namespace eas::probe
