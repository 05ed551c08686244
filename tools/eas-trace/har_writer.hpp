// The HAR file itself: written as entries come, so memory stays flat whatever the trace's size.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace eas::trace {

// Writes a HAR file as entries come (memory stays flat), to OUT.tmp.PID beside OUT, renamed
// over OUT on commit() so a reader never sees half a file; "-" writes to stdout directly.
class HarWriter {
  public:
    explicit HarWriter(std::string path);
    ~HarWriter();
    HarWriter(const HarWriter&) = delete;
    HarWriter& operator=(const HarWriter&) = delete;

    bool open(const std::string& creator_version, std::string& error);
    bool add(const nlohmann::json& entry, std::string& error);
    bool commit(std::string& error);
    std::size_t entries() const { return entries_; }

  private:
    bool write(std::string_view text, std::string& error);

    std::string path_;
    std::string temp_;
    std::FILE* file_ = nullptr;
    bool committed_ = false;
    std::size_t entries_ = 0;
};

}  // namespace eas::trace
