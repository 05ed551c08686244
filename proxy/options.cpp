#include "options.hpp"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <regex>

#include <cstdlib>
#include <iostream>

namespace eas::proxy {

bool load_device_rules(const std::string& path, std::vector<DeviceRule>& out, std::string& error) {
    toml::table doc;
    try {
        doc = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        error = path + ":" + std::to_string(e.source().begin.line) + ":" +
                std::to_string(e.source().begin.column) + ": " + std::string(e.description());
        return false;
    }
    const auto* rules = doc["rule"].as_array();
    if (!rules) return true;
    int index = 0;
    for (const auto& node : *rules) {
        ++index;
        const auto* t = node.as_table();
        const std::string where = path + ": rule " + std::to_string(index);
        if (!t) {
            error = where + " is not a table ([[rule]])";
            return false;
        }
        DeviceRule r;
        r.name = "rule " + std::to_string(index);
        const auto mode_text = (*t)["on_451"].value<std::string>();
        const auto mode = mode_text ? parse_mode(*mode_text) : std::nullopt;
        if (!mode) {
            error = where + " needs on_451 = \"pass\", \"rewrite\" or \"follow\"";
            return false;
        }
        r.mode = *mode;
        for (auto&& [key, value] : *t) {
            const std::string k(key.str());
            if (k == "on_451" || k == "name") continue;
            std::string* field = k == "device_type"  ? &r.device_type
                                 : k == "device_id"  ? &r.device_id
                                 : k == "user"       ? &r.user
                                 : k == "user_agent" ? &r.user_agent
                                                     : nullptr;
            if (!field || !value.is_string()) {
                error = where + ": \"" + k +
                        "\" is not one of device_type, device_id, user, user_agent (strings)";
                return false;
            }
            *field = *value.value<std::string>();
            if (!field->empty() && field->front() == '~') {
                try {
                    std::regex check(field->substr(1));
                } catch (const std::regex_error& e) {
                    error = where + ": " + k + " regex \"" + field->substr(1) + "\": " + e.what();
                    return false;
                }
            }
        }
        if (auto name = (*t)["name"].value<std::string>()) r.name += " (" + *name + ")";
        out.push_back(std::move(r));
    }
    return true;
}

std::optional<int> parse_options(int argc, char** argv, Options& o) {
    // Like ~/.mitmproxy: the CA lives with the user, never in a working tree.
    const char* home = std::getenv("HOME");
    o.ca_dir = home && *home ? std::string(home) + "/.easproxy" : "easproxy-ca";
    o.state_file =
        (home && *home ? std::string(home) + "/.easproxy" : std::string(".")) + "/redirects.json";
    CLI::App app{
        "easproxy: an intercepting, TLS-terminating proxy for Exchange ActiveSync.\n"
        "Every exchange is decoded (request line in both query forms, headers, WBXML bodies) and "
        "logged;\n"
        "HTTP 451 redirects are called out with their X-MS-Location.\n\n"
        "Example (reverse mode in front of a CAS, devices pointed at this host):\n"
        "  easproxy --mode reverse:https://mail.contoso.com --listen 0.0.0.0:443 --cert proxy.pem "
        "--trace flows.jsonl\n",
        "easproxy"};
    auto* config = app.set_config(
        "--config", "",
        "Read options from a TOML file (keys as the long options: listen = \"...\")");
    app.add_option(
           "--mode", o.mode,
           "reverse:URL (forward everything to the CAS at URL) or regular (explicit proxy: CONNECT "
           "is intercepted with certificates minted from --ca-dir)")
        ->required();
    app.add_option("--listen", o.listen,
                   "Address and port to listen on, HOST:PORT ([::1]:PORT for IPv6)")
        ->capture_default_str();
    app.add_option("--cert", o.cert,
                   "PEM file with the certificate chain and private key devices are shown");
    app.add_flag("--plain", o.plain,
                 "Listen with plain HTTP (behind a load balancer that terminates TLS)");
    app.add_option(
           "--ca-dir", o.ca_dir,
           "CA directory for minting per-host certificates (regular mode; created if missing)")
        ->capture_default_str();
    app.add_option(
        "--ignore-hosts", o.ignore_hosts,
        "Regular mode: CONNECT hosts matching this regex are tunnelled untouched (not decrypted)");
    app.add_option("--upstream-ca", o.upstream_ca,
                   "Trust this PEM CA file for upstream certificates too");
    app.add_flag("--upstream-insecure", o.upstream_insecure,
                 "Do not verify upstream certificates (prints a warning at start)");
    app.add_option("--upstream-client-cert", o.upstream_client_cert,
                   "PEM file with a client certificate chain and key, shown to CAS that ask for "
                   "one (mutual TLS)");
    app.add_option("--device-tls-min", o.device_tls_min,
                   "Lowest TLS version devices may use: 1.0, 1.1, 1.2, 1.3 (1.0/1.1 for legacy "
                   "devices; lowers OpenSSL's security level, with a warning)")
        ->capture_default_str();
    app.add_option("--device-tls-max", o.device_tls_max, "Highest TLS version offered to devices");
    app.add_option("--device-ciphers", o.device_ciphers,
                   "OpenSSL cipher list for devices (TLS 1.2 and below)");
    app.add_option("--upstream-tls-min", o.upstream_tls_min, "Lowest TLS version towards the CAS")
        ->capture_default_str();
    app.add_option("--upstream-tls-max", o.upstream_tls_max, "Highest TLS version towards the CAS");
    app.add_option("--upstream-ciphers", o.upstream_ciphers,
                   "OpenSSL cipher list towards the CAS (TLS 1.2 and below)");
    app.add_option("--keylog", o.keylog,
                   "Append TLS secrets of both sides to FILE (NSS key log format, as "
                   "SSLKEYLOGFILE) so Wireshark can decrypt a capture");
    app.add_option("--web", o.web,
                   "Serve the live view, /metrics and the CA install page on HOST:PORT (PORT "
                   "alone: 127.0.0.1), e.g. 127.0.0.1:8081 (off by default)");
    app.add_option("--web-token", o.web_token,
                   "Access token for the web listener (?token= once, then a cookie, or "
                   "Authorization: Bearer); required when not bound to loopback");
    app.add_option("--web-flows", o.web_flows, "Flows the live view keeps in memory")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    app.add_option("--trace", o.trace,
                   "Append one JSON object per flow to FILE (JSON Lines; SIGHUP reopens)");
    app.add_flag("--trace-secrets,--keep-secrets", o.keep_secrets,
                 "Keep credentials (Authorization, cookies, passwords in bodies) in traces and "
                 "logs; redacted by default");
    app.add_option("--redact", o.redact,
                   "What traces and logs hide: secrets (credentials), content (also user "
                   "content, as length and keyed hash), strict (also users, devices, addresses, "
                   "pseudonymised)")
        ->check(CLI::IsMember({"secrets", "content", "strict"}))
        ->capture_default_str();
    app.add_option("--redact-key", o.redact_key,
                   "Passphrase keying the hashes and pseudonyms (default: random per run, so "
                   "runs do not correlate)");
    app.add_option("--trace-bodies", o.trace_bodies,
                   "Bodies in the trace: decoded (XML), raw (base64 of the bytes as sent), both, "
                   "or none")
        ->check(CLI::IsMember({"decoded", "raw", "both", "none"}))
        ->capture_default_str();
    app.add_option("--log-format", o.log_format,
                   "text (for people) or json (one object per line, for log shippers)")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_option("--log-file", o.log_file,
                   "Write the log to FILE instead of standard error (SIGHUP reopens it)");
    app.add_option("--on-451", o.on_451,
                   "What to do with HTTP 451: pass (forward and log), rewrite, follow")
        ->check(CLI::IsMember({"pass", "rewrite", "follow"}))
        ->capture_default_str();
    app.add_option("--state", o.state_file,
                   "File keeping the redirect bindings (user/device -> upstream) across restarts; "
                   "\"\" for none")
        ->capture_default_str();
    app.add_option("--replay-limit", o.replay_limit,
                   "Request bodies up to this size are kept so a 451 can be followed; larger ones "
                   "get the 451")
        ->capture_default_str();
    app.add_option("--follow-allow", o.follow_allow,
                   "Hosts a 451 may be followed or rewritten to (comma list)")
        ->delimiter(',');
    app.add_option("--decode-limit", o.settings.decode_limit,
                   "Bytes of each body kept for decoding; larger bodies stream through undecoded")
        ->capture_default_str();
    app.add_option("--max-request-body", o.settings.max_request_body,
                   "Larger request bodies get 413")
        ->capture_default_str();
    app.add_option("--max-header-bytes", o.settings.limits.max_head_bytes,
                   "Larger request heads get 431")
        ->capture_default_str();
    auto seconds = [&](const char* name, std::chrono::seconds& field, const char* what) {
        app.add_option_function<long>(
               name, [&field](long v) { field = std::chrono::seconds(v); }, what)
            ->default_str(std::to_string(field.count()));
    };
    seconds("--idle-timeout", o.settings.idle_timeout,
            "Seconds a kept-alive device connection may sit idle");
    seconds("--handshake-timeout", o.settings.handshake_timeout,
            "Seconds a device gets for its TLS handshake (one that never starts holds a "
            "--max-connections slot until then)");
    seconds("--request-timeout", o.settings.request_timeout,
            "Seconds a device may take to send a request head, and between body chunks");
    seconds("--response-timeout", o.settings.response_timeout,
            "Seconds to wait for the upstream's answer (Ping and Sync hold up to 3540 s)");
    seconds("--send-timeout", o.settings.send_timeout,
            "Seconds a device may stall reading a response");
    seconds("--upstream-connect-timeout", o.settings.upstream_connect_timeout,
            "Seconds for connecting to an upstream, TLS handshake included");
    seconds("--upstream-idle-timeout", o.settings.upstream_idle_timeout,
            "Seconds an unused upstream connection is kept for reuse");
    app.add_option("--upstream-max-connections", o.settings.max_upstream_connections,
                   "Open connections per upstream, busy or idle (0: no cap; each held Ping holds "
                   "one)")
        ->capture_default_str();
    seconds("--upstream-queue-timeout", o.settings.upstream_queue_timeout,
            "Seconds a request waits for a connection under --upstream-max-connections before "
            "the device gets 503");
    app.add_option("--shutdown-grace", o.shutdown_grace,
                   "Seconds in-flight flows get to finish on SIGTERM")
        ->capture_default_str();
    app.add_option("--threads", o.threads, "I/O threads (0: one per core)")->capture_default_str();
    app.add_option("--max-connections", o.max_connections,
                   "Device connections open at once; past it new connections are reset at once, "
                   "with one log line per episode (0: what the descriptor limit allows, two per "
                   "connection)")
        ->capture_default_str();
    app.add_option("--log-level", o.log_level, "debug, info, warn or error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
        ->capture_default_str();
    // [[rule]] tables are read below with toml++; CLI11 reads the flat keys.
    app.allow_config_extras(true);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (config->count() > 0) {
        o.config_file = config->as<std::string>();
        std::string error;
        if (!load_device_rules(o.config_file, o.device_rules, error)) {
            std::cerr << "easproxy: --config " << error << "\n";
            return 2;
        }
    }
    return std::nullopt;
}

}  // namespace eas::proxy
