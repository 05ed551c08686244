// One simulated device: its state between exchanges (URL, policy key, folder and sync keys) and
// how it reacts to what the server answers. The reactions are the point of the tool:
//   - HTTP 449, or Status 142/143/144: run Provision (request + acknowledgement), keep the
//     final PolicyKey, re-send the request;
//   - HTTP 451, compliant: switch to X-MS-Location for this and every later request and re-send
//     there (at most --max-redirects hops per request); a 451 without X-MS-Location is the
//     server's fault (AOSP and eas4tbsync crash on it);
//   - HTTP 451, legacy: a failure; wait --retry-delay and retry the same URL, --retries times.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "asio.hpp"
#include "connection.hpp"
#include "eas_requests.hpp"
#include "eas_responses.hpp"
#include "options.hpp"
#include "report.hpp"
#include "script.hpp"

namespace eas::device {

// How a step (or a whole run) ended; maps onto the exit status.
struct Outcome {
    enum class Kind { Ok, Failed, ConnectionError, Stopped };
    Kind kind = Kind::Ok;
    std::string why;
    bool ok() const { return kind == Kind::Ok; }
    static Outcome failed(std::string why) { return {Kind::Failed, std::move(why)}; }
};

// Set from the signal handler; the device checks it between exchanges.
struct StopState {
    bool requested = false;
    int signals = 0;
    std::string signal_name;
};

class Device {
  public:
    Device(net::asio::any_io_executor ex, const Options& o, net::ssl::context* tls,
           Reporter& report, StopState& stop);

    net::awaitable<Outcome> run(const Step& step);

    // Sleeps unless stopped; false when a stop cut the sleep short (or was already requested).
    net::awaitable<bool> sleep(std::chrono::milliseconds d);

    // SIGINT/SIGTERM arrived: wake an idle device now; end a held Ping or Sync Wait now (the
    // device is idle then, only waiting); let any other exchange finish. A second signal ends
    // whatever is in progress.
    void on_signal();

  private:
    struct Reply {
        SendResult sent;
        DecodedResponse decoded;
        int http() const { return sent.response.head.status; }
    };

    net::awaitable<Outcome> exchange(const EasRequest& request, Reply& reply);
    net::awaitable<Outcome> command(const EasRequest& request, Reply& reply);
    net::awaitable<Outcome> provision();

    net::awaitable<Outcome> do_options();
    net::awaitable<Outcome> do_foldersync();
    net::awaitable<Outcome> do_sync(const Step& step);
    net::awaitable<Outcome> do_ping(const Step& step);
    net::awaitable<Outcome> do_sendmail(const Step& step);
    net::awaitable<Outcome> do_fetch(const Step& step);

    // Failed outcome for an answer that is not HTTP 200, or a Status that is not success.
    Outcome answer_failure(const std::string& cmd, const Reply& reply) const;
    std::string status_words(const std::string& cmd, const Reply& reply) const;

    const Options& o_;
    Reporter& report_;
    StopState& stop_;
    Connection conn_;
    net::asio::steady_timer sleep_timer_;
    bool sleeping_ = false;
    std::chrono::milliseconds current_hold_{0};

    Url url_;
    std::optional<std::uint32_t> policy_key_;
    std::string folder_sync_key_ = "0";
    std::string inbox_id_;
    std::string sync_key_ = "0";
    unsigned mail_serial_ = 0;
};

}  // namespace eas::device
