// The simulated Exchange organisation: AD sites, their Client Access Servers, users and their
// mailboxes, and the rule Exchange 2007/2010 applies when a request reaches a CAS outside the
// mailbox's site (redirect with 451, proxy, or 503). Sans-IO: the server asks, this answers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "mailbox.hpp"

namespace fakecas {

struct Site;

struct Cas {
    std::string name;
    Site* site = nullptr;
    bool external_url = true;  // ExternalUrl set on its Microsoft-Server-ActiveSync vdir
    std::string advertised_url;
    std::uint16_t port = 0;  // known once listening
    std::string scheme = "https";
    std::string host = "127.0.0.1";

    // Its own URL: what the readiness file lists and X-MS-Location names by default.
    std::string url() const;
    std::string location() const { return advertised_url.empty() ? url() : advertised_url; }
};

struct Site {
    std::string name;
    bool down = false;
    std::vector<Cas*> cas;
    // Internet-facing: some CAS of the site has ExternalUrl (that CAS, or nullptr).
    const Cas* external_cas() const;
};

struct User {
    UserConfig config;
    Site* home = nullptr;
    Mailbox mailbox;
};

struct Route {
    enum class Kind {
        Serve,        // the CAS is in the mailbox's site
        Proxy,        // another site, not internet-facing: CAS-to-CAS proxy, served here
        Redirect,     // 451 with X-MS-Location = url
        Unavailable,  // the mailbox's site is down: 503
    } kind = Kind::Serve;
    const Cas* target = nullptr;
    std::string url;
    std::string why;  // for the log line
};

class Organisation {
  public:
    explicit Organisation(const Config& config);

    const Config& config() const { return config_; }
    std::vector<std::unique_ptr<Site>>& sites() { return sites_; }
    std::vector<std::unique_ptr<Cas>>& cas() { return cas_; }
    std::vector<std::unique_ptr<User>>& users() { return users_; }
    const std::vector<std::unique_ptr<Site>>& sites() const { return sites_; }
    const std::vector<std::unique_ptr<Cas>>& cas() const { return cas_; }
    const std::vector<std::unique_ptr<User>>& users() const { return users_; }

    Site* site(const std::string& name);
    Cas* find_cas(const std::string& name);
    User* user(const std::string& name);
    // The account behind a logon name as typed on a phone: "alex", "CONTOSO\alex" or
    // "alex@contoso.com" (case-insensitive).
    User* user_by_login(const std::string& login);

    // The 451 rule (MS-ASHTTP 3.1.5.2.2; Exchange 2007 CAS proxying and redirection):
    //  - mailbox site down                      -> Unavailable (503 + Retry-After)
    //  - same site, this CAS has ExternalUrl    -> Serve
    //  - same site, no ExternalUrl here but a sibling CAS has one
    //                                           -> Redirect to the sibling ("a missing
    //                                              ExternalUrl on one of several CAS")
    //  - other site, mailbox site internet-facing -> Redirect to its CAS's ExternalUrl
    //  - other site, not internet-facing        -> Proxy (served as if proxied CAS to CAS)
    Route route(const Cas& at, const User& user) const;

    // A misconfigured organisation for tests (admin /admin/loop/on): every CAS redirects to a
    // CAS of another site, whatever the mailbox, so following 451s goes round in circles.
    bool redirect_loop = false;

    // Moves a mailbox to another site (a database failover) and wakes its held requests so
    // they finish and the device's next request meets the 451 rule.
    void move_user(User& user, Site& to);

  private:
    Config config_;
    std::vector<std::unique_ptr<Site>> sites_;
    std::vector<std::unique_ptr<Cas>> cas_;
    std::vector<std::unique_ptr<User>> users_;
};

}  // namespace fakecas
