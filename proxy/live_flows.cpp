#include "live_flows.hpp"

#include "compact_json.hpp"

#include <algorithm>
#include <ctime>

namespace eas::proxy {
namespace {

// Flows the proxy lost track of (a session ended without reporting) are forgotten after this.
constexpr auto kStaleInFlight = std::chrono::hours(2);

std::string iso_seconds(Clock::time_point t) {
    const std::time_t tt = Clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string dump(const nlohmann::json& j) {
    return compact_json(j);
}

}  // namespace

// --- devices -------------------------------------------------------------------------------

void DeviceTable::add(const FlowRow& row) {
    if (row.device_id.empty()) return;
    const std::string key = Bindings::key(row.user, row.device_id);
    auto it = devices_.find(key);
    if (it == devices_.end()) {
        if (devices_.size() >= max_ && max_ > 0) {
            // Full: the device seen longest ago makes room.
            const auto oldest = std::min_element(devices_.begin(), devices_.end(),
                                                 [](const auto& a, const auto& b) {
                                                     return a.second.last_seen < b.second.last_seen;
                                                 });
            devices_.erase(oldest);
        }
        it = devices_.emplace(key, DeviceView{}).first;
        it->second.key = key;
        it->second.user = row.user;
        it->second.device_id = row.device_id;
    }
    DeviceView& d = it->second;
    // Back at an upstream that told it to go elsewhere: the device ignored that 451.
    if (d.passed_451.count(row.upstream)) {
        d.ignored_451 = true;
        ++d.requests_after_451;
        d.ignored_451_upstream = row.upstream;
        d.ignored_451_time = row.time;
    }
    if (row.device_got_451()) {
        ++d.got_451;
        d.passed_451[row.upstream] = row.time;
    }
    if (!row.device_type.empty()) d.device_type = row.device_type;
    if (!row.user_agent.empty()) d.user_agent = row.user_agent;
    d.last_command = row.command;
    d.last_time = row.time;
    d.last_seen = row.when;
    d.last_status = row.status;
    d.last_upstream = row.upstream;
    ++d.flows;
    if (row.failed()) ++d.failed;
}

std::vector<DeviceView> DeviceTable::list() const {
    std::vector<DeviceView> out;
    out.reserve(devices_.size());
    for (const auto& [key, d] : devices_) out.push_back(d);
    std::sort(out.begin(), out.end(), [](const DeviceView& a, const DeviceView& b) {
        return a.last_seen != b.last_seen ? a.last_seen > b.last_seen : a.key < b.key;
    });
    return out;
}

nlohmann::json bindings_json(const std::vector<Bindings::Entry>& bindings) {
    auto list = nlohmann::json::array();
    for (const auto& b : bindings) {
        list.push_back({{"key", b.key},
                        {"upstream", b.target.to_string() + b.target.path},
                        {"expires", iso_seconds(b.expires)}});
    }
    return list;
}

nlohmann::json devices_json(const std::vector<DeviceView>& devices,
                            const std::vector<Bindings::Entry>& bindings) {
    std::map<std::string, const Bindings::Entry*> bound;
    for (const auto& b : bindings) bound[b.key] = &b;
    auto list = nlohmann::json::array();
    for (const auto& d : devices) {
        nlohmann::json j;
        j["key"] = d.key;
        j["user"] = d.user;
        j["device_id"] = d.device_id;
        j["device_type"] = d.device_type;
        j["user_agent"] = d.user_agent;
        j["last_command"] = d.last_command;
        j["last_time"] = d.last_time;
        j["last_status"] = d.last_status;
        j["last_upstream"] = d.last_upstream;
        j["flows"] = d.flows;
        j["failed"] = d.failed;
        j["error_rate"] = d.error_rate();
        j["got_451"] = d.got_451;
        j["ignored_451"] = d.ignored_451;
        if (d.ignored_451) {
            j["ignored_451_detail"] = {{"upstream", d.ignored_451_upstream},
                                       {"requests_after", d.requests_after_451},
                                       {"last", d.ignored_451_time}};
        }
        if (const auto it = bound.find(d.key); it != bound.end()) {
            j["binding"] = {{"upstream", it->second->target.to_string() + it->second->target.path},
                            {"expires", iso_seconds(it->second->expires)}};
        }
        list.push_back(std::move(j));
    }
    return list;
}

// --- the live view ---------------------------------------------------------------------------

LiveFlows::LiveFlows(LiveOptions options)
    : options_(std::move(options)), devices_(options_.max_devices) {
    options_.record.decoded_bodies = true;
    options_.record.raw_bodies = false;
    if (options_.max_flows == 0) options_.max_flows = 1;
    thread_ = std::thread([this] { run(); });
}

LiveFlows::~LiveFlows() {
    {
        std::lock_guard lock(queue_mutex_);
        stop_ = true;
    }
    queue_wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void LiveFlows::enqueue(const Flow& f) {
    {
        // No longer in flight, whether or not the live view gets to show it.
        std::lock_guard lock(mutex_);
        in_flight_.erase(f.id);
    }
    const std::size_t bytes = f.request_body.kept.size() + f.response_body.kept.size();
    {
        std::lock_guard lock(queue_mutex_);
        if (queue_.size() >= options_.max_queued ||
            (!queue_.empty() && queue_bytes_ + bytes > options_.max_queued_bytes)) {
            ++dropped_;
            return;
        }
        queue_.push_back(f);
        queue_bytes_ += bytes;
    }
    queue_wake_.notify_one();
}

void LiveFlows::run() {
    std::unique_lock lock(queue_mutex_);
    for (;;) {
        queue_wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        Flow f = std::move(queue_.front());
        queue_.pop_front();
        queue_bytes_ -= f.request_body.kept.size() + f.response_body.kept.size();
        busy_ = true;
        lock.unlock();
        add(f);
        lock.lock();
        busy_ = false;
        if (queue_.empty()) queue_empty_.notify_all();
    }
}

void LiveFlows::drain() {
    std::unique_lock lock(queue_mutex_);
    queue_empty_.wait(lock, [&] { return (queue_.empty() && !busy_) || !thread_.joinable(); });
}

std::uint64_t LiveFlows::dropped() const {
    std::lock_guard lock(queue_mutex_);
    return dropped_;
}

void LiveFlows::request_headers(const Flow& f) {
    std::lock_guard lock(mutex_);
    if (in_flight_.size() >= 100000) {
        // Bounded even if sessions vanished without reporting their flows.
        const auto now = Steady::now();
        std::erase_if(in_flight_, [&](const auto& e) { return now - e.second > kStaleInFlight; });
    }
    in_flight_[f.id] = f.started;
}

void LiveFlows::add(const Flow& f) {
    // The expensive part (decoding both bodies) happens here, outside the lock.
    const auto record = flow_record(f, options_.record);
    FlowRow row = make_flow_row(f, record, active_redactor(options_.record));
    std::string record_text = dump(record);
    {
        std::lock_guard lock(mutex_);
        in_flight_.erase(f.id);
        row.seq = ++seq_;
        Entry e;
        e.seq = row.seq;
        e.id = row.id;
        e.row = dump(to_json(row));
        // One record larger than an eighth of the budget would push out many others.
        if (record_text.size() <= options_.max_detail_bytes / 8) {
            e.record = std::move(record_text);
            detail_bytes_ += e.record.size();
        }
        ring_.push_back(std::move(e));
        devices_.add(row);
        metrics_.add(row);
        trim_locked();
    }
    std::vector<std::function<void()>> wake;
    {
        std::lock_guard lock(wake_mutex_);
        for (const auto& [id, w] : wakers_) wake.push_back(w);
    }
    for (const auto& w : wake) w();
}

void LiveFlows::trim_locked() {
    while (ring_.size() > options_.max_flows) {
        detail_bytes_ -= ring_.front().record.size();
        ring_.pop_front();
    }
    for (auto& e : ring_) {
        if (detail_bytes_ <= options_.max_detail_bytes) break;
        detail_bytes_ -= e.record.size();
        e.record = std::string();
    }
}

LiveFlows::Batch LiveFlows::since(std::uint64_t after, std::size_t max) const {
    Batch b;
    std::lock_guard lock(mutex_);
    if (ring_.empty()) return b;
    // A page that saw flows the ring has dropped since missed some; a new page (after 0) did not.
    b.gap = after > 0 && after + 1 < ring_.front().seq;
    // seq numbers in the ring are consecutive: index by arithmetic.
    std::size_t start = 0;
    if (after >= ring_.front().seq) start = static_cast<std::size_t>(after - ring_.front().seq + 1);
    for (std::size_t i = start; i < ring_.size() && b.rows.size() < max; ++i)
        b.rows.emplace_back(ring_[i].seq, ring_[i].row);
    return b;
}

std::uint64_t LiveFlows::last_seq() const {
    std::lock_guard lock(mutex_);
    return seq_;
}

std::optional<std::string> LiveFlows::detail(std::uint64_t flow_id) const {
    std::lock_guard lock(mutex_);
    for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
        if (it->id != flow_id) continue;
        return "{\"row\":" + it->row +
               ",\"record\":" + (it->record.empty() ? std::string("null") : it->record) + "}";
    }
    return std::nullopt;
}

std::vector<DeviceView> LiveFlows::devices() const {
    std::lock_guard lock(mutex_);
    return devices_.list();
}

FlowMetrics LiveFlows::metrics() const {
    std::lock_guard lock(mutex_);
    return metrics_;
}

LiveFlows::InFlight LiveFlows::in_flight(Steady::time_point now) const {
    InFlight r;
    std::lock_guard lock(mutex_);
    for (const auto& [id, started] : in_flight_) {
        const auto age = now - started;
        if (age > kStaleInFlight) continue;
        ++r.count;
        if (age > options_.held_after) ++r.held;
    }
    return r;
}

std::size_t LiveFlows::kept() const {
    std::lock_guard lock(mutex_);
    return ring_.size();
}

std::uint64_t LiveFlows::subscribe(std::function<void()> wake) {
    std::lock_guard lock(wake_mutex_);
    const auto id = ++next_waker_;
    wakers_[id] = std::move(wake);
    return id;
}

void LiveFlows::unsubscribe(std::uint64_t id) {
    std::lock_guard lock(wake_mutex_);
    wakers_.erase(id);
}

std::size_t LiveFlows::subscribers() const {
    std::lock_guard lock(wake_mutex_);
    return wakers_.size();
}

}  // namespace eas::proxy
