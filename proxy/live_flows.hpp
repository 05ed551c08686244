// The live view's memory: a flow observer that keeps the last N flows (their table row and
// their trace record, for the detail view), the devices seen, the counts /metrics shows, and
// the requests in flight. On the I/O threads an event only copies the flow into a bounded
// queue; a thread of its own decodes it, files it, and wakes the live view's pages by posting,
// never waiting for them. A page that falls behind skips what the ring no longer holds.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bindings.hpp"
#include "flow_events.hpp"
#include "flow_record.hpp"
#include "flow_row.hpp"
#include "metrics.hpp"

namespace eas::proxy {

// One device (user + DeviceId) as the devices view shows it.
struct DeviceView {
    std::string key;  // Bindings::key(user, DeviceId): "alex/LEGACY01"
    std::string user, device_id, device_type, user_agent;
    std::string last_command, last_time, last_upstream;
    int last_status = 0;
    Clock::time_point last_seen{};
    std::uint64_t flows = 0, failed = 0;  // failed: no answer, HTTP >= 400, or an error
    std::uint64_t got_451 = 0;            // 451s the device got itself (passed or refused)
    // Upstream -> when it last gave this device a 451 the device got.
    std::map<std::string, std::string> passed_451;
    // It got a 451 from an upstream and later sent that upstream another request anyway.
    bool ignored_451 = false;
    std::uint64_t requests_after_451 = 0;
    std::string ignored_451_upstream, ignored_451_time;

    double error_rate() const {
        return flows ? static_cast<double>(failed) / static_cast<double>(flows) : 0.0;
    }
};

// Devices by key, updated one flow at a time; pure (the live view locks around it).
class DeviceTable {
  public:
    explicit DeviceTable(std::size_t max_devices = 10000) : max_(max_devices) {}
    void add(const FlowRow& row);          // rows without a DeviceId are not a device's
    std::vector<DeviceView> list() const;  // most recently seen first
    std::size_t size() const { return devices_.size(); }

  private:
    std::size_t max_;
    std::unordered_map<std::string, DeviceView> devices_;
};

// The devices view as JSON, each with its redirect binding (target, expiry) when it has one.
nlohmann::json devices_json(const std::vector<DeviceView>& devices,
                            const std::vector<Bindings::Entry>& bindings);
nlohmann::json bindings_json(const std::vector<Bindings::Entry>& bindings);

struct LiveOptions {
    std::size_t max_flows = 2000;                     // --web-flows
    std::size_t max_detail_bytes = 64 * 1024 * 1024;  // records kept for the detail view
    std::size_t max_devices = 10000;
    std::chrono::seconds held_after{5};  // in flight longer: "held" in /metrics
    // Flows waiting to be filed (bodies count by their kept bytes); past either bound a flow is
    // left out of the live view rather than make the I/O thread wait.
    std::size_t max_queued = 10000;
    std::size_t max_queued_bytes = 64 * 1024 * 1024;
    // The trace's options, so redaction matches it (--trace-secrets); bodies are always
    // decoded here, never kept raw.
    RecordOptions record;
};

class LiveFlows : public FlowObserver {
  public:
    explicit LiveFlows(LiveOptions options);
    ~LiveFlows() override;
    LiveFlows(const LiveFlows&) = delete;
    LiveFlows& operator=(const LiveFlows&) = delete;

    void request_headers(const Flow& f) override;
    void response_complete(const Flow& f) override { enqueue(f); }
    void error(const Flow& f) override { enqueue(f); }

    // Rows completed after `after` (a seq), oldest first, at most `max`, as JSON text.
    struct Batch {
        std::vector<std::pair<std::uint64_t, std::string>> rows;  // seq, row JSON
        bool gap = false;  // `after` > 0 and rows after it were already dropped from the ring
    };
    Batch since(std::uint64_t after, std::size_t max) const;
    std::uint64_t last_seq() const;

    // {"row": ..., "record": ...} for a flow still in the ring; the record is null when it was
    // dropped to bound memory.
    std::optional<std::string> detail(std::uint64_t flow_id) const;
    std::vector<DeviceView> devices() const;
    FlowMetrics metrics() const;
    struct InFlight {
        std::size_t count = 0, held = 0;
    };
    InFlight in_flight(Steady::time_point now = Steady::now()) const;
    std::size_t kept() const;
    std::uint64_t dropped() const;  // flows left out: the queue was full
    const LiveOptions& options() const { return options_; }

    // `wake` is called after each new row, from the I/O thread that completed the flow and
    // outside this class's locks; it must only post work elsewhere.
    std::uint64_t subscribe(std::function<void()> wake);
    void unsubscribe(std::uint64_t id);
    std::size_t subscribers() const;

    // Files a flow now, on the calling thread (the observer events queue it for the thread).
    void add(const Flow& f);
    // Waits until every queued flow is filed (tests, shutdown).
    void drain();

  private:
    void enqueue(const Flow& f);
    void run();

    struct Entry {
        std::uint64_t seq = 0, id = 0;
        std::string row;     // JSON
        std::string record;  // JSON; "" once dropped
    };
    void trim_locked();

    LiveOptions options_;
    mutable std::mutex mutex_;
    std::deque<Entry> ring_;
    std::uint64_t seq_ = 0;
    std::size_t detail_bytes_ = 0;
    DeviceTable devices_;
    FlowMetrics metrics_;
    std::unordered_map<std::uint64_t, Steady::time_point> in_flight_;

    mutable std::mutex queue_mutex_;
    std::condition_variable queue_wake_, queue_empty_;
    std::deque<Flow> queue_;
    std::size_t queue_bytes_ = 0;
    bool busy_ = false;  // the thread is filing a flow taken off the queue
    bool stop_ = false;
    std::uint64_t dropped_ = 0;
    std::thread thread_;

    mutable std::mutex wake_mutex_;
    std::map<std::uint64_t, std::function<void()>> wakers_;
    std::uint64_t next_waker_ = 0;
};

}  // namespace eas::proxy
