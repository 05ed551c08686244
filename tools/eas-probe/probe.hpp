// The probe's plan, in a device's order: Autodiscover (for an e-mail address), the transport
// checks of the server's origin, then OPTIONS, Provision, FolderSync and, if asked, an Inbox
// Sync. A 451 at any EAS step is a warning and is followed (the new origin is checked, the
// step sent again there), unless --no-follow, a loop or too many hops make it a failure. After
// a failure the steps left are reported as not run.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "asio.hpp"
#include "connection.hpp"
#include "eas_session.hpp"
#include "origin_checks.hpp"
#include "probe_options.hpp"
#include "step.hpp"

namespace eas::probe {

class Probe {
  public:
    // `check_tls` holds the trust store for the Certificate step; `client_tls` is what requests
    // use (it verifies unless --insecure).
    Probe(net::asio::any_io_executor ex, const Options& o, net::ssl::context& check_tls,
          net::ssl::context& client_tls, Report& report);

    net::awaitable<void> run();

  private:
    using StepFn = net::awaitable<EasSession::Outcome> (EasSession::*)(Step&);
    struct Planned {
        const char* name;
        StepFn fn;
    };

    // The transport checks of the current URL's origin, once per origin.
    net::awaitable<bool> origin_ok();
    // Runs one EAS step, following 451s; false when the probe must stop.
    net::awaitable<bool> eas_step(const Planned& planned);
    // Judges a 451 for `step`; true when it is followed (the session's URL has moved).
    bool follow_451(Step& step);
    void skip(const std::vector<Planned>& plan, std::size_t from, const std::string& target,
              const std::string& why);
    void skip_one(const std::string& name, const std::string& target, const std::string& why);

    net::asio::any_io_executor ex_;
    const Options& o_;
    device::Identity identity_;  // Autodiscover Redirect may change the user
    OriginSettings origin_settings_;
    device::Connection conn_;
    Report& report_;
    EasSession session_;
    std::map<std::string, bool> origins_;  // checked origins, and whether they passed
    std::vector<std::string> visited_;     // EAS URLs in the order 451s led to them
    std::string stopped_by_;               // the step that failed
};

}  // namespace eas::probe
