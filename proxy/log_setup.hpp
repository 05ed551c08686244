// easproxy's log: text for people (standard error or --log-file) or JSON Lines for log
// shippers (--log-format json), one object per line with the flow's fields when the line is
// about a flow. The file is reopened on SIGHUP so logrotate can move it away.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace spdlog {
class logger;
}

namespace eas::proxy {

class ReopenableFileSink;

struct Log {
    std::shared_ptr<spdlog::logger> logger;
    std::shared_ptr<ReopenableFileSink> file;  // null when logging to standard error
    bool reopen(std::string& error);           // SIGHUP: a no-op for standard error
};

// format: "text" or "json"; file "" is standard error (coloured when it is a terminal).
std::optional<Log> make_log(const std::string& format, const std::string& file,
                            const std::string& level, std::string& error);

// Whether a --log-format json log was made (then flow lines carry their fields).
bool structured_logging();

// Structured fields for the JSON lines logged on this thread while it lives (a flow's user,
// device, command...). Text lines ignore them.
class ScopedLogFields {
  public:
    explicit ScopedLogFields(const nlohmann::json& fields);
    ~ScopedLogFields();
    ScopedLogFields(const ScopedLogFields&) = delete;
    ScopedLogFields& operator=(const ScopedLogFields&) = delete;

  private:
    const nlohmann::json* previous_;
};

}  // namespace eas::proxy
