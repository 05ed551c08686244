#include "probe_options.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace eas::probe {
namespace {

// A bare host name is the usual way an administrator names a server: https and the standard
// path are what every device would use.
std::optional<device::Url> target_url(const std::string& target, std::string& why) {
    const bool has_scheme = target.find("://") != std::string::npos;
    auto url = device::parse_url(has_scheme ? target : "https://" + target, &why);
    if (url && (url->path.empty() || url->path == "/")) url->path = "/Microsoft-Server-ActiveSync";
    return url;
}

}  // namespace

ParsedOptions parse_options(int argc, char** argv) {
    ParsedOptions out;
    Options o;
    o.identity.device_id = "EASPROBE0001";
    o.identity.device_type = "EASProbe";
    o.identity.user_agent = "eas-probe/0.1";
    std::vector<std::string> connect_to;
    bool no_follow = false;
    bool no_provision = false;

    CLI::App app{
        "eas-probe: tests an Exchange ActiveSync account step by step, the way a device sets it "
        "up (Autodiscover, DNS, TCP, TLS, certificate, OPTIONS, Provision, FolderSync, Sync), "
        "and says in plain words what passed, what needs a look and what failed. HTTP 451 "
        "redirects are followed with a warning. The password comes from EAS_PASSWORD or a "
        "prompt. Exit status: 0 every step passed, 1 a warning, 2 a failure or a usage error.",
        "eas-probe"};
    app.add_option("target", o.target,
                   "an e-mail address (Autodiscover finds the server) or the EAS URL "
                   "(https://mail.contoso.com/Microsoft-Server-ActiveSync; a bare host name works)")
        ->required();
    app.add_option("--user", o.identity.user,
                   "logon name (user, DOMAIN\\user or UPN); default: the e-mail address");
    app.add_option("--ca", o.ca_files, "PEM file of extra trusted CAs (repeatable)")
        ->check(CLI::ExistingFile);
    app.add_flag("--insecure", o.insecure,
                 "go on despite certificate problems (reported as warnings instead of failures)");
    app.add_flag("--no-follow", no_follow,
                 "do not follow HTTP 451: report it as a failure and stop, as a device that "
                 "ignores redirects would be stuck");
    app.add_option("--max-redirects", o.max_redirects,
                   "HTTP 451 hops to follow before giving up (a loop fails at once)")
        ->capture_default_str()
        ->check(CLI::Range(0, 20));
    app.add_flag("--no-provision", no_provision, "skip Provision (for servers without policies)");
    app.add_flag("--sync-inbox", o.sync_inbox,
                 "also Sync the Inbox (initial Sync, then one with the new SyncKey) and count "
                 "its items");
    app.add_flag("--json", o.json, "one JSON document with every step on stdout");
    app.add_option("--eas-version", o.identity.eas_version, "EAS protocol version to speak")
        ->capture_default_str()
        ->check(CLI::IsMember({"12.1", "14.1", "16.1"}));
    app.add_option("--device-id", o.identity.device_id, "DeviceId to send")->capture_default_str();
    app.add_option("--device-type", o.identity.device_type, "DeviceType to send")
        ->capture_default_str();
    app.add_option("--user-agent", o.identity.user_agent, "User-Agent to send")
        ->capture_default_str();
    app.add_option("--connect-to", connect_to,
                   "HOST:PORT:ADDR:PORT2: connect to ADDR:PORT2 whenever HOST:PORT is meant; "
                   "Host, SNI and the certificate check keep HOST (repeatable, like curl's)");
    app.add_option("--timeout", o.timeout_seconds,
                   "seconds each network operation of a step may take (connect, handshake, "
                   "answer)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        out.exit_status = app.exit(e) == 0 ? kExitPass : kExitFail;
        return out;
    }
    auto usage = [&out](const std::string& why) {
        std::cerr << "eas-probe: " << why << " (see --help)\n";
        out.exit_status = kExitFail;
        return out;
    };

    o.follow = !no_follow;
    o.provision = !no_provision;
    const bool is_email =
        o.target.find('@') != std::string::npos && o.target.find('/') == std::string::npos;
    if (is_email) {
        const auto at = o.target.rfind('@');
        if (at == 0 || at + 1 == o.target.size() || o.target.find('.', at) == std::string::npos) {
            return usage(o.target + " is not an e-mail address (user@domain.tld)");
        }
        o.email = o.target;
    } else {
        std::string why;
        o.url = target_url(o.target, why);
        if (!o.url) return usage(o.target + ": " + why);
    }
    if (o.identity.user.empty()) {
        if (o.email.empty()) return usage("--user is needed when the target is a URL");
        o.identity.user = o.email;
        o.user_follows_email = true;
    }
    if (o.identity.device_id.empty() || o.identity.device_type.empty())
        return usage("--device-id and --device-type must not be empty");
    for (const auto& text : connect_to) {
        std::string why;
        auto rule = device::parse_connect_to(text, &why);
        if (!rule) return usage("--connect-to " + why);
        o.connect_to.push_back(*rule);
    }
    out.options = std::move(o);
    return out;
}

}  // namespace eas::probe
