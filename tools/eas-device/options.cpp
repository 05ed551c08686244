#include "options.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <cstdlib>
#include <iostream>

namespace eas::device {
namespace {

constexpr std::array kVersions{"2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"};

bool known_version(const std::string& v) {
    for (const char* k : kVersions) {
        if (v == k) return true;
    }
    return false;
}

}  // namespace

std::string_view behaviour_name(Behaviour b) {
    return b == Behaviour::Compliant ? "compliant" : "legacy";
}

ParsedOptions parse_options(int argc, char** argv) {
    ParsedOptions out;
    Options o;
    std::string url_text;
    std::string password;
    std::string password_env;
    std::string script_text = "options,provision,foldersync,sync";
    bool loop = false;

    CLI::App app{
        "eas-device: an Exchange ActiveSync device simulator. Runs a script of EAS commands "
        "against a server or the proxy, one line per exchange; --behaviour says whether it "
        "follows HTTP 451 redirects (compliant) or ignores them (legacy)."};
    app.option_defaults()->always_capture_default();
    app.add_option("--url", url_text,
                   "EAS endpoint, e.g. https://mail.contoso.com/Microsoft-Server-ActiveSync")
        ->required();
    std::string proxy_text;
    app.add_option("--proxy", proxy_text,
                   "HTTP proxy, http://HOST:PORT or HOST:PORT (port 80 when omitted), as a "
                   "phone's Wi-Fi proxy setting: CONNECT tunnels for https URLs, absolute URLs "
                   "for http ones");
    app.add_option("--user", o.user, "user name as the device sends it (User= and Basic auth)")
        ->required();
    app.add_option("--password-env", password_env,
                   "name of the environment variable holding the password (default: EAS_PASSWORD)");
    app.add_option("--password", password, "the password itself (tests only: it shows in ps)");
    app.add_option("--device-id", o.device_id, "DeviceId");
    app.add_option("--device-type", o.device_type, "DeviceType");
    app.add_option("--user-agent", o.user_agent, "User-Agent header");
    app.add_option("--eas-version", o.eas_version,
                   "MS-ASProtocolVersion: 2.5 12.0 12.1 14.0 14.1 16.0 16.1");
    app.add_option(
           "--ca", o.ca_files,
           "PEM file of extra trust anchors, added to the system store (repeat for several)")
        ->check(CLI::ExistingFile);
    app.add_flag("--insecure", o.insecure,
                 "do not verify the server certificate (chain and host name)");
    std::string behaviour = "compliant";
    app.add_option("--behaviour,--behavior", behaviour,
                   "compliant: follow 451 to X-MS-Location (3 hops at most); legacy: ignore 451, "
                   "retry the same URL")
        ->check(CLI::IsMember({"compliant", "legacy"}, CLI::ignore_case));
    std::string query = "plain";
    app.add_option("--query", query,
                   "query form: plain (Cmd=...&User=...) or base64 (MS-ASHTTP binary)")
        ->check(CLI::IsMember({"plain", "base64"}, CLI::ignore_case));
    app.add_option("--script", script_text,
                   "comma list of steps: options, provision, foldersync, sync, sync:wait=MIN, "
                   "sync:heartbeat=SEC, ping:SEC, sendmail[:TO], fetch:FILEREF, repeat[:N]");
    app.add_flag("--loop", loop, "repeat the script's round (see repeat) until SIGINT/SIGTERM");
    app.add_option("--interval", o.interval_seconds, "seconds between rounds")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--retries", o.retries,
                   "legacy: retries of the same URL after a 451 before giving up")
        ->check(CLI::Range(0, 1000));
    app.add_option("--retry-delay", o.retry_delay_seconds,
                   "legacy: seconds to wait before each retry")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--max-redirects", o.max_redirects,
                   "compliant: 451 hops per request before giving up")
        ->check(CLI::Range(0, 100));
    app.add_option(
           "--timeout", o.timeout_seconds,
           "seconds for connecting and for an answer (Ping and Sync Wait add their hold time)")
        ->check(CLI::PositiveNumber);
    app.add_option("--decode-limit", o.decode_limit,
                   "response body bytes kept for decoding; beyond that bytes are only counted");
    app.add_flag("-v,--verbose", o.verbose, "also print headers and the decoded XML of each body");
    app.add_flag("--json", o.json, "one JSON object per exchange on stdout instead of text lines");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        out.exit_status = app.exit(e) == 0 ? 0 : 2;
        return out;
    }

    // IsMember accepts any case but leaves the text as typed.
    o.behaviour =
        CLI::detail::to_lower(behaviour) == "legacy" ? Behaviour::Legacy : Behaviour::Compliant;
    o.query = CLI::detail::to_lower(query) == "base64" ? QueryStyle::Base64 : QueryStyle::Plain;

    auto usage = [&out](const std::string& why) {
        std::cerr << "eas-device: " << why << "\n";
        out.exit_status = 2;
        return out;
    };

    std::string why;
    auto url = parse_url(url_text, &why);
    if (!url) return usage("--url " + url_text + ": " + why);
    if (url->path.empty()) url->path = "/Microsoft-Server-ActiveSync";
    o.url = *url;

    if (!proxy_text.empty()) {
        // Checked first: parse_url's complaint would point at --user (the EAS account), and the
        // text, which may hold a proxy password, is not echoed.
        if (proxy_text.find('@') != std::string::npos)
            return usage("--proxy: proxy authentication (USER@HOST) is not supported");
        const bool has_scheme = proxy_text.find("://") != std::string::npos;
        auto proxy = parse_url(has_scheme ? proxy_text : "http://" + proxy_text, &why);
        if (!proxy) return usage("--proxy " + proxy_text + ": " + why);
        // Devices talk to their proxy in the clear (TLS goes inside the CONNECT tunnel).
        if (proxy->tls())
            return usage("--proxy " + proxy_text + ": only http:// proxies are supported");
        if (!proxy->path.empty() && proxy->path != "/")
            return usage("--proxy " + proxy_text + ": a proxy is HOST:PORT, without a path");
        proxy->path.clear();
        o.proxy = *proxy;
    }

    if (!password.empty()) {
        o.password = password;
    } else {
        const std::string name = password_env.empty() ? "EAS_PASSWORD" : password_env;
        const char* value = std::getenv(name.c_str());
        if (!value) {
            return usage("no password: environment variable " + name +
                         " is not set (or pass --password-env NAME / --password)");
        }
        o.password = value;
    }

    if (!known_version(o.eas_version))
        return usage("--eas-version " + o.eas_version + " is not an EAS version");
    if (o.query == QueryStyle::Base64 && (o.eas_version == "2.5" || o.eas_version == "12.0")) {
        return usage(
            "--query base64 needs EAS 12.1 or later (MS-ASHTTP: 2.5 and 12.0 clients use plain)");
    }
    if (o.device_id.empty() || o.device_type.empty())
        return usage("--device-id and --device-type must not be empty");

    auto script = parse_script(script_text, loop, &why);
    if (!script) return usage("--script: " + why);
    o.script = std::move(*script);

    out.options = std::move(o);
    return out;
}

}  // namespace eas::device
