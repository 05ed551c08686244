// The Autodiscover step: finds the EAS URL for an e-mail address the way a device does. Each
// candidate URL is tried in order (a failure just moves on, as devices do); HTTP 302 and 451
// answers to the POST, Outlook redirectUrl and mobilesync Redirect (a new address: start over
// with its domain) are followed, each reported as a warning because some devices stop there.
// The redirect method's 302 is the documented way and is only noted. Loops and more than
// kMaxAutodiscoverHops hops fail.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "asio.hpp"
#include "connection.hpp"
#include "identity.hpp"
#include "step.hpp"
#include "url.hpp"

namespace eas::probe {

inline constexpr int kMaxAutodiscoverHops = 10;

class Autodiscover {
  public:
    // `identity` supplies the credentials; when `user_follows_email`, a Redirect to a new
    // address also becomes the user name, as the account's name follows its address.
    Autodiscover(device::Connection& conn, device::Identity& identity, bool user_follows_email,
                 Report& report)
        : conn_(conn),
          identity_(identity),
          user_follows_email_(user_follows_email),
          report_(report) {}

    // Adds the Autodiscover step to the report; the EAS URL when one was found.
    net::awaitable<std::optional<device::Url>> run(const std::string& email);

  private:
    enum class Next { Found, Hop, NewAddress, NextCandidate, Stop };

    net::awaitable<std::optional<device::Url>> redirect_method(const device::Url& url);
    // POSTs the request to `url`; on Hop, `url` is where to POST next.
    net::awaitable<Next> post(device::Url& url);
    Next answer(device::Url& url, const std::string& body);
    // A redirect from `url` to `to`: checks the scheme, the hop limit and loops; on Hop, `url`
    // becomes the target.
    Next hop(const std::string& kind, device::Url& url, const std::string& to);
    Next new_address(const device::Url& url, const std::string& to);
    bool too_many_hops(const std::string& last);
    void attempt(const std::string& method, const device::Url& url, const std::string& result);

    device::Connection& conn_;
    device::Identity& identity_;
    bool user_follows_email_;
    Report& report_;

    Step step_;
    std::string address_;  // the e-mail address being looked up (changes on Redirect)
    int hops_ = 0;
    std::set<std::string> seen_;       // address + URL of every POST, to spot loops
    std::set<std::string> addresses_;  // every address looked up, to spot Redirect loops
    std::vector<std::string> warnings_;
    std::string unauthorized_at_;  // a candidate that answered 401
    std::string stop_reason_;      // a definite failure (an Error answer, a loop)
    std::optional<device::Url> found_;
    nlohmann::ordered_json attempts_ = nlohmann::ordered_json::array();
};

}  // namespace eas::probe
