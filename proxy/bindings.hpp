// user/device -> the upstream a 451 moved it to. Shared by all I/O threads. With a state file,
// every change is written at once (temporary file + rename, so a crash never leaves half a
// file) and the bindings survive a restart; `easproxy redirects list|clear` reads the file.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "origin.hpp"

namespace eas::proxy {

class Bindings {
  public:
    using Clock = std::chrono::system_clock;  // wall time: expiries mean the same after a restart
    struct Entry {
        std::string key;  // "user/DeviceId"
        Origin target;
        Clock::time_point expires;
    };

    // state_file "" keeps bindings in memory only. A file that cannot be read sets `error`.
    explicit Bindings(std::chrono::seconds ttl, std::string state_file = {});
    Bindings(std::chrono::seconds ttl, std::string state_file, std::string& error);

    std::optional<Origin> find(const std::string& key);
    void bind(const std::string& key, const Origin& target);
    void drop(const std::string& key);
    std::vector<Entry> list();
    std::size_t clear(const std::string& key = {});  // all when key is empty; returns how many
    std::string last_write_error();

    static std::string key(const std::string& user, const std::string& device_id);

    // Entries held, expired ones not yet swept included (for tests and the status line).
    std::size_t stored();
    // At most this many bindings; past it the one that would expire first goes.
    void set_max_entries(std::size_t n);
    static constexpr std::size_t default_max_entries = 100'000;

  private:
    void save_locked();  // caller holds mutex_
    bool load(std::string& error);

    std::chrono::seconds ttl_;
    std::string state_file_;
    std::mutex mutex_;
    std::map<std::string, Entry> entries_;
    std::size_t max_entries_ = default_max_entries;
    std::string write_error_;
};

}  // namespace eas::proxy
