#include "organisation.hpp"
#include "ascii.hpp"

#include <cctype>

namespace fakecas {
using eas::iequals;

std::string Cas::url() const {
    const bool v6 = host.find(':') != std::string::npos;
    return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) +
           "/Microsoft-Server-ActiveSync";
}

const Cas* Site::external_cas() const {
    for (const Cas* c : cas) {
        if (c->external_url) return c;
    }
    return nullptr;
}

Organisation::Organisation(const Config& config) : config_(config) {
    for (const auto& sc : config_.sites) {
        auto site = std::make_unique<Site>();
        site->name = sc.name;
        site->down = sc.down;
        for (const auto& cc : sc.cas) {
            auto cas = std::make_unique<Cas>();
            cas->name = cc.name;
            cas->site = site.get();
            cas->external_url = cc.external_url.value_or(sc.external_url);
            cas->advertised_url = cc.advertised_url;
            cas->port = cc.port;
            site->cas.push_back(cas.get());
            cas_.push_back(std::move(cas));
        }
        sites_.push_back(std::move(site));
    }
    // [scenario] switches apply on top of the per-site settings, as the admin endpoint would.
    for (const auto& name : config_.scenario.sites_down) site(name)->down = true;
    for (const auto& name : config_.scenario.external_url_off) {
        for (Cas* c : site(name)->cas) c->external_url = false;
    }
    for (const auto& uc : config_.users) {
        auto u = std::make_unique<User>();
        u->config = uc;
        u->home = site(uc.site);
        std::optional<std::uint64_t> large;
        if (config_.eas.large_attachment) large = config_.eas.large_attachment_size;
        u->mailbox.seed(uc.email, uc.display_name, uc.messages, large);
        users_.push_back(std::move(u));
    }
}

Site* Organisation::site(const std::string& name) {
    for (auto& s : sites_) {
        if (s->name == name) return s.get();
    }
    return nullptr;
}

Cas* Organisation::find_cas(const std::string& name) {
    for (auto& c : cas_) {
        if (c->name == name) return c.get();
    }
    return nullptr;
}

User* Organisation::user(const std::string& name) {
    for (auto& u : users_) {
        if (u->config.name == name) return u.get();
    }
    return nullptr;
}

User* Organisation::user_by_login(const std::string& login) {
    std::string name = login;
    if (const auto slash = name.rfind('\\'); slash != std::string::npos)
        name = name.substr(slash + 1);
    for (auto& u : users_) {
        if (iequals(name, u->config.name) || iequals(name, u->config.email)) return u.get();
    }
    // "alex@contoso.com" when the configured email differs only in the domain spelling.
    if (const auto at = name.find('@'); at != std::string::npos) {
        const std::string local = name.substr(0, at);
        const std::string domain = name.substr(at + 1);
        for (auto& u : users_) {
            if (iequals(local, u->config.name) && iequals(domain, config_.eas.domain))
                return u.get();
        }
    }
    return nullptr;
}

Route Organisation::route(const Cas& at, const User& user) const {
    Route r;
    const Site& home = *user.home;
    if (redirect_loop) {
        for (const auto& site : sites_) {
            const Cas* other = site.get() == at.site ? nullptr : site->external_cas();
            if (!other) continue;
            r.kind = Route::Kind::Redirect;
            r.target = other;
            r.url = other->location();
            r.why = "redirect loop switched on (admin)";
            return r;
        }
    }
    if (home.down) {
        r.kind = Route::Kind::Unavailable;
        r.why = "mailbox site " + home.name + " is down";
        return r;
    }
    const Cas* external = home.external_cas();
    if (at.site == &home) {
        if (at.external_url || !external) {
            r.kind = Route::Kind::Serve;
            return r;
        }
        r.kind = Route::Kind::Redirect;
        r.target = external;
        r.url = external->location();
        r.why = "no ExternalUrl on " + at.name + ", " + external->name + " of site " + home.name +
                " has one";
        return r;
    }
    if (external) {
        r.kind = Route::Kind::Redirect;
        r.target = external;
        r.url = external->location();
        r.why = "mailbox in internet-facing site " + home.name;
        return r;
    }
    r.kind = Route::Kind::Proxy;
    r.target = home.cas.front();
    r.why = "proxied to " + home.cas.front()->name + " of site " + home.name +
            " (no ExternalUrl there)";
    return r;
}

void Organisation::move_user(User& user, Site& to) {
    user.home = &to;
    user.mailbox.changed().notify();
}

}  // namespace fakecas
