// The EAS half of the probe: the requests a device sends once it knows its server (OPTIONS,
// Provision, FolderSync, an Inbox Sync), each turned into a step verdict with what the answer
// means. A 451 is not judged here: the step returns Redirected and the caller decides whether
// to follow it, because that is the probe's policy, not the command's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "asio.hpp"
#include "connection.hpp"
#include "eas_requests.hpp"
#include "eas_responses.hpp"
#include "identity.hpp"
#include "step.hpp"
#include "url.hpp"

namespace eas::probe {

class EasSession {
  public:
    enum class Outcome { Done, Redirected, Stop };

    // `provision_enabled` is false with --no-provision: a server asking for it then fails the
    // step with that advice.
    EasSession(device::Connection& conn, const device::Identity& identity, bool provision_enabled)
        : conn_(conn), id_(identity), provision_enabled_(provision_enabled) {}

    device::Url url;  // where requests go; the caller moves it after a followed 451

    net::awaitable<Outcome> options(Step& step);
    net::awaitable<Outcome> provision(Step& step);
    net::awaitable<Outcome> folder_sync(Step& step);
    net::awaitable<Outcome> sync_inbox(Step& step);

    // The head of the last 451 answer (after a step returned Redirected).
    const http::MessageHead& redirect_head() const { return redirect_head_; }

  private:
    struct Reply {
        device::SendResult sent;
        device::DecodedResponse decoded;
        int http() const { return sent.response.head.status; }
    };

    // Sends one request to `url`, adding its time to the step. False (the step failed, in
    // words) when no answer came.
    net::awaitable<bool> send(const device::EasRequest& request, Step& step, Reply& reply);
    // An answer that is not HTTP 200: Redirected for 451, else the step fails with words.
    Outcome not_ok(const Reply& reply, Step& step);
    // A 200 whose Status is not success: the step fails with words (provisioning advice for
    // 142/143/144).
    Outcome bad_status(const std::string& command, const Reply& reply, Step& step);
    std::string provisioning_failure(int http_status, int eas_status) const;

    device::Connection& conn_;
    const device::Identity& id_;
    bool provision_enabled_;
    bool provisioned_ = false;
    std::optional<std::uint32_t> policy_key_;
    std::string inbox_id_;
    http::MessageHead redirect_head_;
};

}  // namespace eas::probe
