#include "config.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <toml++/toml.h>

namespace fakecas {
namespace {

// Thrown inside the reader with a finished "FILE:LINE:COL: message"; caught at the top.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Reader {
  public:
    explicit Reader(std::string path) : path_(std::move(path)) {}

    [[noreturn]] void fail(const toml::source_region& where, const std::string& what) const {
        std::ostringstream out;
        out << path_;
        if (where.begin.line) out << ':' << where.begin.line << ':' << where.begin.column;
        out << ": " << what;
        throw ConfigError(out.str());
    }

    // Unknown keys are errors: a misspelt "external_ulr" must not silently mean "default".
    void only_keys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                   const std::string& where) const {
        for (auto&& [key, node] : t) {
            bool ok = false;
            for (auto a : allowed) ok = ok || key.str() == a;
            if (!ok) {
                std::string list;
                for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
                fail(key.source(), "unknown key \"" + std::string(key.str()) + "\" in " + where +
                                       " (allowed: " + list + ")");
            }
        }
    }

    std::string string(const toml::table& t, std::string_view key, const std::string& where,
                       std::optional<std::string> fallback = std::nullopt) const {
        const toml::node* n = t.get(key);
        if (!n) {
            if (fallback) return *fallback;
            fail(t.source(), where + " needs " + std::string(key) + " = \"...\"");
        }
        if (!n->is_string()) fail(n->source(), std::string(key) + " must be a string");
        return std::string(*n->value<std::string>());
    }

    bool boolean(const toml::table& t, std::string_view key, bool fallback) const {
        const toml::node* n = t.get(key);
        if (!n) return fallback;
        if (!n->is_boolean()) fail(n->source(), std::string(key) + " must be true or false");
        return *n->value<bool>();
    }

    std::int64_t integer(const toml::table& t, std::string_view key, std::int64_t fallback,
                         std::int64_t min, std::int64_t max) const {
        const toml::node* n = t.get(key);
        if (!n) return fallback;
        if (!n->is_integer()) fail(n->source(), std::string(key) + " must be an integer");
        const auto v = *n->value<std::int64_t>();
        if (v < min || v > max) {
            fail(n->source(), std::string(key) + " = " + std::to_string(v) + " is out of range " +
                                  std::to_string(min) + ".." + std::to_string(max));
        }
        return v;
    }

    std::vector<std::string> strings(const toml::table& t, std::string_view key) const {
        std::vector<std::string> out;
        const toml::node* n = t.get(key);
        if (!n) return out;
        const auto* a = n->as_array();
        if (!a) fail(n->source(), std::string(key) + " must be an array of strings");
        for (const auto& e : *a) {
            if (!e.is_string()) fail(e.source(), std::string(key) + " must hold strings only");
            out.emplace_back(*e.value<std::string>());
        }
        return out;
    }

    // An array of tables ([[site]]) or nothing.
    const toml::array* tables(const toml::table& t, std::string_view key) const {
        const toml::node* n = t.get(key);
        if (!n) return nullptr;
        const auto* a = n->as_array();
        if (!a || !a->is_array_of_tables()) {
            fail(n->source(),
                 std::string(key) + " must be written as [[" + std::string(key) + "]] tables");
        }
        return a;
    }

    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

CasConfig read_cas(const Reader& r, const toml::table& t, const std::string& site) {
    r.only_keys(t, {"name", "port", "external_url"}, "[[site.cas]] of site " + site);
    CasConfig c;
    c.name = r.string(t, "name", "[[site.cas]] of site " + site);
    c.port = static_cast<std::uint16_t>(r.integer(t, "port", 0, 0, 65535));
    if (const toml::node* n = t.get("external_url")) {
        // true/false, or the URL this CAS advertises in X-MS-Location (a DNS name in a demo).
        if (n->is_boolean()) {
            c.external_url = *n->value<bool>();
        } else if (n->is_string()) {
            c.external_url = true;
            c.advertised_url = *n->value<std::string>();
            if (c.advertised_url.rfind("https://", 0) != 0 &&
                c.advertised_url.rfind("http://", 0) != 0) {
                r.fail(n->source(), "external_url must be true, false or an http(s):// URL");
            }
        } else {
            r.fail(n->source(), "external_url must be true, false or a URL string");
        }
    }
    return c;
}

SiteConfig read_site(const Reader& r, const toml::table& t) {
    r.only_keys(t, {"name", "external_url", "down", "cas"}, "[[site]]");
    SiteConfig s;
    s.name = r.string(t, "name", "[[site]]");
    s.external_url = r.boolean(t, "external_url", true);
    s.down = r.boolean(t, "down", false);
    if (const auto* cas = r.tables(t, "cas")) {
        for (const auto& c : *cas) s.cas.push_back(read_cas(r, *c.as_table(), s.name));
    }
    if (s.cas.empty()) r.fail(t.source(), "site " + s.name + " has no [[site.cas]]");
    return s;
}

UserConfig read_user(const Reader& r, const toml::table& t, const EasConfig& eas) {
    r.only_keys(
        t,
        {"name", "password", "site", "email", "display_name", "messages", "autodiscover_redirect"},
        "[[user]]");
    UserConfig u;
    u.name = r.string(t, "name", "[[user]]");
    u.password = r.string(t, "password", "[[user]] " + u.name);
    u.site = r.string(t, "site", "[[user]] " + u.name);
    u.email = r.string(t, "email", "", u.name + "@" + eas.domain);
    u.display_name = r.string(t, "display_name", "", u.name);
    u.messages = static_cast<int>(r.integer(t, "messages", 3, 0, 10000));
    u.autodiscover_redirect = r.string(t, "autodiscover_redirect", "", "");
    if (!u.autodiscover_redirect.empty() && u.autodiscover_redirect.find('@') == std::string::npos)
        r.fail(t.get("autodiscover_redirect")->source(),
               "autodiscover_redirect must be an e-mail address");
    return u;
}

Config read(const Reader& r, const toml::table& root) {
    r.only_keys(root, {"site", "user", "scenario", "eas", "admin"}, "the top level");
    Config cfg;
    cfg.path = r.path();

    if (const toml::node* n = root.get("eas")) {
        const auto* t = n->as_table();
        if (!t) r.fail(n->source(), "[eas] must be a table");
        r.only_keys(*t,
                    {"require_provisioning", "min_heartbeat", "max_heartbeat", "max_ping_folders",
                     "large_attachment", "large_attachment_size", "domain", "server_version"},
                    "[eas]");
        auto& e = cfg.eas;
        e.require_provisioning = r.boolean(*t, "require_provisioning", e.require_provisioning);
        e.min_heartbeat =
            static_cast<int>(r.integer(*t, "min_heartbeat", e.min_heartbeat, 1, 3540));
        e.max_heartbeat =
            static_cast<int>(r.integer(*t, "max_heartbeat", e.max_heartbeat, 1, 3540));
        if (e.min_heartbeat > e.max_heartbeat)
            r.fail(t->source(), "min_heartbeat is above max_heartbeat");
        e.max_ping_folders =
            static_cast<int>(r.integer(*t, "max_ping_folders", e.max_ping_folders, 1, 100000));
        e.large_attachment = r.boolean(*t, "large_attachment", e.large_attachment);
        // The multipart format counts offsets in 32 bits: stay well below 4 GiB.
        e.large_attachment_size = static_cast<std::uint64_t>(
            r.integer(*t, "large_attachment_size",
                      static_cast<std::int64_t>(e.large_attachment_size), 1, 4000000000));
        e.domain = r.string(*t, "domain", "", e.domain);
        e.server_version = r.string(*t, "server_version", "", e.server_version);
    }

    if (const toml::node* n = root.get("admin")) {
        const auto* t = n->as_table();
        if (!t) r.fail(n->source(), "[admin] must be a table");
        r.only_keys(*t, {"port"}, "[admin]");
        if (t->get("port"))
            cfg.admin_port = static_cast<std::uint16_t>(r.integer(*t, "port", 0, 0, 65535));
    }

    const auto* sites = r.tables(root, "site");
    if (!sites) r.fail(root.source(), "no [[site]]: the organisation needs at least one site");
    std::set<std::string> site_names, cas_names;
    std::set<std::uint16_t> ports;
    for (const auto& s : *sites) {
        auto site = read_site(r, *s.as_table());
        if (!site_names.insert(site.name).second) {
            r.fail(s.source(), "two sites are named " + site.name);
        }
        for (std::size_t i = 0; i < site.cas.size(); ++i) {
            const auto& c = site.cas[i];
            const auto& where = s.as_table()->get("cas")->as_array()->at(i).source();
            if (!cas_names.insert(c.name).second) r.fail(where, "two CAS are named " + c.name);
            if (c.port && !ports.insert(c.port).second) {
                r.fail(where, "port " + std::to_string(c.port) + " is used twice");
            }
        }
        cfg.sites.push_back(std::move(site));
    }

    if (const auto* users = r.tables(root, "user")) {
        std::set<std::string> names;
        for (const auto& u : *users) {
            auto user = read_user(r, *u.as_table(), cfg.eas);
            if (!site_names.count(user.site)) {
                r.fail(u.as_table()->get("site")->source(), "user " + user.name +
                                                                " is homed in site \"" + user.site +
                                                                "\", which no [[site]] defines");
            }
            if (!names.insert(user.name).second)
                r.fail(u.source(), "two users are named " + user.name);
            cfg.users.push_back(std::move(user));
        }
    }

    if (const toml::node* n = root.get("scenario")) {
        const auto* t = n->as_table();
        if (!t) r.fail(n->source(), "[scenario] must be a table");
        r.only_keys(*t, {"sites_down", "external_url_off", "down_mode", "retry_after"},
                    "[scenario]");
        auto& sc = cfg.scenario;
        sc.sites_down = r.strings(*t, "sites_down");
        sc.external_url_off = r.strings(*t, "external_url_off");
        for (const auto* list : {&sc.sites_down, &sc.external_url_off}) {
            for (const auto& name : *list) {
                if (!site_names.count(name))
                    r.fail(t->source(), "[scenario] names unknown site " + name);
            }
        }
        const auto mode = r.string(*t, "down_mode", "", "503");
        if (mode == "503") {
            sc.down_mode = DownMode::Http503;
        } else if (mode == "refuse") {
            sc.down_mode = DownMode::Refuse;
        } else {
            r.fail(t->get("down_mode")->source(), "down_mode must be \"503\" or \"refuse\"");
        }
        sc.retry_after = static_cast<int>(r.integer(*t, "retry_after", sc.retry_after, 0, 86400));
    }
    return cfg;
}

}  // namespace

ConfigResult parse_config(const std::string& text, const std::string& path) {
    ConfigResult out;
    const Reader r(path);
    try {
        const toml::table root = toml::parse(text, path);
        out.config = read(r, root);
    } catch (const toml::parse_error& e) {
        std::ostringstream msg;
        msg << path << ':' << e.source().begin.line << ':' << e.source().begin.column << ": "
            << e.description();
        out.error = msg.str();
    } catch (const ConfigError& e) {
        out.error = e.what();
    }
    return out;
}

ConfigResult load_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {std::nullopt, path + ": cannot read the configuration file"};
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), path);
}

}  // namespace fakecas
