#include "bindings.hpp"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ascii.hpp"

namespace eas::proxy {

Bindings::Bindings(std::chrono::seconds ttl, std::string state_file)
    : ttl_(ttl), state_file_(std::move(state_file)) {
    std::string ignored;
    if (!state_file_.empty()) load(ignored);
}

Bindings::Bindings(std::chrono::seconds ttl, std::string state_file, std::string& error)
    : ttl_(ttl), state_file_(std::move(state_file)) {
    if (!state_file_.empty()) load(error);
}

std::string Bindings::key(const std::string& user, const std::string& device_id) {
    return to_lower(user) + "/" + device_id;
}

std::optional<Origin> Bindings::find(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.expires < Clock::now()) {
        entries_.erase(it);
        save_locked();
        return std::nullopt;
    }
    return it->second.target;
}

void Bindings::bind(const std::string& key, const Origin& target) {
    std::lock_guard lock(mutex_);
    // A binding is only looked at again when its device comes back: without a sweep, those of
    // devices that never do would stay for good. Binding is rare (a 451 followed) and the file
    // is rewritten whole anyway, so a scan here costs nothing that matters.
    const auto now = Clock::now();
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires < now; });
    entries_[key] = Entry{key, target, now + ttl_};
    while (entries_.size() > max_entries_) {
        auto first_to_expire = entries_.begin();
        for (auto it = entries_.begin(); it != entries_.end(); ++it)
            if (it->second.expires < first_to_expire->second.expires) first_to_expire = it;
        entries_.erase(first_to_expire);
    }
    save_locked();
}

std::size_t Bindings::stored() {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

void Bindings::set_max_entries(std::size_t n) {
    std::lock_guard lock(mutex_);
    max_entries_ = n == 0 ? 1 : n;
}

void Bindings::drop(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (entries_.erase(key)) save_locked();
}

std::vector<Bindings::Entry> Bindings::list() {
    std::lock_guard lock(mutex_);
    std::vector<Entry> out;
    const auto now = Clock::now();
    for (const auto& [k, e] : entries_) {
        if (e.expires >= now) out.push_back(e);
    }
    return out;
}

std::size_t Bindings::clear(const std::string& key) {
    std::lock_guard lock(mutex_);
    const std::size_t n = key.empty() ? entries_.size() : entries_.erase(key);
    if (key.empty()) entries_.clear();
    save_locked();
    return n;
}

std::string Bindings::last_write_error() {
    std::lock_guard lock(mutex_);
    return write_error_;
}

void Bindings::save_locked() {
    if (state_file_.empty()) return;
    nlohmann::json j;
    j["v"] = 1;
    auto& list = j["bindings"] = nlohmann::json::array();
    for (const auto& [k, e] : entries_) {
        list.push_back({{"key", k},
                        {"upstream", e.target.to_string() + e.target.path},
                        {"expires", std::chrono::duration_cast<std::chrono::seconds>(
                                        e.expires.time_since_epoch())
                                        .count()}});
    }
    // Binding changes are rare (one per redirect), and the file is small: written here, at once.
    const std::string tmp = state_file_ + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.dump(2) << "\n";
        if (!out) {
            write_error_ = tmp + ": cannot write";
            return;
        }
    }
    if (std::rename(tmp.c_str(), state_file_.c_str()) != 0) {
        write_error_ = state_file_ + ": cannot replace";
        return;
    }
    write_error_.clear();
}

bool Bindings::load(std::string& error) {
    std::ifstream in(state_file_);
    if (!in.is_open()) return true;  // no file yet: nothing bound
    std::stringstream ss;
    ss << in.rdbuf();
    nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.contains("bindings") || !j["bindings"].is_array()) {
        error =
            state_file_ + ": not a redirect state file (expected {\"v\": 1, \"bindings\": [...]})";
        return false;
    }
    const auto now = Clock::now();
    for (const auto& b : j["bindings"]) {
        if (!b.is_object() || !b.contains("key") || !b.contains("upstream") ||
            !b.contains("expires"))
            continue;
        std::string why;
        auto origin = parse_origin(b["upstream"].get<std::string>(), why);
        if (!origin || !b["expires"].is_number_integer()) continue;
        const Clock::time_point expires{std::chrono::seconds(b["expires"].get<std::int64_t>())};
        if (expires < now) continue;
        const auto key = b["key"].get<std::string>();
        entries_[key] = Entry{key, *origin, expires};
    }
    return true;
}

}  // namespace eas::proxy
