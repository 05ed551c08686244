// Whether a 451 may be followed (or rewritten) to its X-MS-Location, and where bound devices
// go next. Sans-IO: the session asks, this answers; nothing here touches a socket.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "origin.hpp"

namespace eas::proxy {

enum class On451 { Pass, Rewrite, Follow };

struct RedirectRules {
    On451 mode = On451::Pass;
    // Hosts a redirect may go to: "mail2.contoso.com", "*.contoso.com", ".contoso.com", or an
    // address. Empty: hosts in the configured upstream's domain (its last two labels), or the
    // upstream's own address when it is one.
    std::vector<std::string> allow;
    bool allow_http = false;  // https only unless told
    int max_hops = 3;
    std::size_t replay_limit = 16 * 1024 * 1024;  // request bodies above this are not buffered
    std::chrono::seconds binding_ttl{24 * 3600};
};

struct RedirectVerdict {
    bool allowed = false;
    Origin target;
    std::string path;    // the X-MS-Location path, to replace the request's path
    std::string reason;  // why not, in words
};

// Checks an X-MS-Location against the rules; `visited` holds the origins this request has
// already been sent to (loop detection), `hops` how many redirects were followed so far.
RedirectVerdict check_redirect(const std::string& location, const Origin& configured,
                               const RedirectRules& rules, const std::set<std::string>& visited,
                               int hops);

// user/device -> the upstream a 451 moved it to. Shared by all I/O threads.
class Bindings {
  public:
    explicit Bindings(std::chrono::seconds ttl) : ttl_(ttl) {}
    std::optional<Origin> find(const std::string& key);
    void bind(const std::string& key, const Origin& target);
    void drop(const std::string& key);
    static std::string key(const std::string& user, const std::string& device_id);

  private:
    struct Entry {
        Origin target;
        std::chrono::steady_clock::time_point expires;
    };
    std::chrono::seconds ttl_;
    std::mutex mutex_;
    std::map<std::string, Entry> entries_;
};

}  // namespace eas::proxy
