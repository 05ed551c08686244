// easproxy's command line (mitmproxy-style, see DESIGN.md) and config file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "redirect_policy.hpp"
#include "settings.hpp"

namespace eas::proxy {

struct Options {
    std::string mode = "reverse:";  // "reverse:URL" or "regular"
    std::string listen = "127.0.0.1:8443";
    std::string cert;    // PEM with chain and key (reverse mode)
    bool plain = false;  // reverse mode without TLS (behind a TLS-offloading load balancer)
    std::string ca_dir;  // default: ~/.easproxy (set in parse_options)
    std::string ignore_hosts;
    std::string state_file;  // redirect bindings; default ~/.easproxy/redirects.json  // regex:
                             // CONNECT hosts tunnelled untouched
    std::string upstream_ca;
    bool upstream_insecure = false;
    std::string upstream_client_cert;  // PEM with chain and key, for CAS that ask (mutual TLS)
    std::string device_tls_min = "1.2";
    std::string device_tls_max;
    std::string device_ciphers;
    std::string upstream_tls_min = "1.2";
    std::string upstream_tls_max;
    std::string upstream_ciphers;
    std::string keylog;     // NSS key log (SSLKEYLOGFILE format) for both sides
    std::string web;        // HOST:PORT of the live view, /metrics and CA page; "" = off
    std::string web_token;  // required when the web listener is not on loopback
    // Flows the live view keeps in memory (--web-flows).
    std::size_t web_flows = 2000;
    std::string trace;
    bool keep_secrets = false;
    std::string redact = "secrets";  // secrets | content | strict
    std::string redact_key;          // passphrase for repeatable pseudonyms; "" = random per run
    std::string trace_bodies = "decoded";  // decoded | raw | both | none
    std::string log_format = "text";       // text | json
    std::string log_file;                  // "" = standard error
    std::string on_451 = "pass";
    std::vector<std::string> follow_allow;
    std::size_t replay_limit = 16 * 1024 * 1024;
    std::string log_level = "info";
    unsigned threads = 0;          // 0: one per core
    unsigned max_connections = 0;  // device connections at once; 0: what the descriptors allow
    unsigned shutdown_grace = 10;  // seconds in-flight flows get on SIGTERM
    Settings settings;
    std::string config_file;
    std::vector<DeviceRule> device_rules;  // [[rule]] tables of the config file
};

// Reads the [[rule]] tables of a TOML config file (see README, "HTTP 451").
bool load_device_rules(const std::string& path, std::vector<DeviceRule>& out, std::string& error);

// Parses argv (and --config FILE). Returns an exit code to use now (0 for --help), or nullopt
// to go on with `out` filled in.
std::optional<int> parse_options(int argc, char** argv, Options& out);

}  // namespace eas::proxy
