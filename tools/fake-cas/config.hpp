// fake-cas configuration: the simulated Exchange organisation (sites, their Client Access
// Servers, users and where their mailboxes live) plus the scenario switches and EAS limits.
// Read from TOML; every error names the file, line and column so a typo is found at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fakecas {

enum class DownMode {
    Http503,  // the site's CAS still accept connections and answer 503 with Retry-After
    Refuse,   // the site's CAS stop listening (connection refused) and drop open connections
};

struct CasConfig {
    std::string name;
    std::uint16_t port = 0;  // 0: pick a free port
    // ExternalUrl on this CAS's Microsoft-Server-ActiveSync vdir; unset: the site's setting.
    std::optional<bool> external_url;
    // What X-MS-Location advertises for this CAS; empty: its own https://127.0.0.1:PORT URL.
    std::string advertised_url;
};

struct SiteConfig {
    std::string name;
    bool external_url = true;  // default for the site's CAS
    bool down = false;
    std::vector<CasConfig> cas;
};

struct UserConfig {
    std::string name;
    std::string password;
    std::string site;  // home site: the AD site of the mailbox server
    std::string email;
    std::string display_name;
    // Autodiscover answers Redirect to this address instead of settings (a changed primary
    // SMTP address, say); empty: settings.
    std::string autodiscover_redirect;
    int messages = 3;  // seeded Inbox messages (besides the one with the large attachment)
};

struct ScenarioConfig {
    std::vector<std::string> sites_down;
    std::vector<std::string> external_url_off;
    DownMode down_mode = DownMode::Http503;
    int retry_after = 30;  // seconds, for 503
};

struct EasConfig {
    bool require_provisioning = true;
    // Exchange allows 60..3540 s; tests want a Ping that returns in 2 s, so the floor is low.
    int min_heartbeat = 1;
    int max_heartbeat = 3540;
    int max_ping_folders = 300;
    bool large_attachment = true;  // seed every Inbox with a message carrying it
    std::uint64_t large_attachment_size = 100ull * 1024 * 1024;
    std::string domain = "contoso.com";
    std::string server_version = "15.1";  // MS-Server-ActiveSync header
};

struct Config {
    std::string path;
    std::vector<SiteConfig> sites;
    std::vector<UserConfig> users;
    ScenarioConfig scenario;
    EasConfig eas;
    std::optional<std::uint16_t> admin_port;
};

struct ConfigResult {
    std::optional<Config> config;
    std::string error;  // "FILE:LINE:COL: what is wrong"
};

ConfigResult load_config(const std::string& path);
ConfigResult parse_config(const std::string& text, const std::string& path_for_errors);

}  // namespace fakecas
