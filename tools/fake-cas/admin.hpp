// The admin endpoint (plain HTTP on 127.0.0.1): tests and the demo flip scenario switches
// during a run and read the organisation's state.
//
//   GET  /admin/state                          sites, CAS, users, held requests (JSON)
//   POST /admin/site/NAME/down | up            take a site down (503 or refused connections)
//   POST /admin/site/NAME/external-url/off|on  remove or set ExternalUrl on all its CAS
//   POST /admin/cas/NAME/external-url/off|on   the same for one CAS
//   POST /admin/user/NAME/new-mail[?subject=&from=&body=]  add an Inbox item, wake Pings
//   POST /admin/user/NAME/move/SITE            move the mailbox to another site (failover)
//   POST /admin/down-mode/503 | refuse         how down sites behave from now on
//   POST /admin/autodiscover/redirect[?url=URL] where the redirect method below points
//
// The admin port also plays the plain-HTTP host of Autodiscover's redirect method: any request
// for /autodiscover/autodiscover.xml gets 302 to an https Autodiscover URL (default: the first
// CAS's), so a test can point http://autodiscover.DOMAIN at it.
#pragma once

#include <functional>

#include <nlohmann/json_fwd.hpp>

#include "http_io.hpp"
#include "request.hpp"

namespace fakecas {

class Admin {
  public:
    // apply_sites: make the listeners match the sites' state (paused when down in refuse mode).
    Admin(Runtime& rt, std::function<void()> apply_sites);

    awaitable<Response> handle(const eas::net::Message& request, asio::any_io_executor ex);
    nlohmann::json state() const;

  private:
    Response route(const std::string& method, const std::string& path, const std::string& query);

    std::string autodiscover_location() const;

    Runtime& rt_;
    std::function<void()> apply_sites_;
    std::string autodiscover_redirect_;  // set by the admin switch; empty: the first CAS
};

}  // namespace fakecas
