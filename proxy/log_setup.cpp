#include "log_setup.hpp"

#include "compact_json.hpp"

#include <fcntl.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <atomic>
#include <mutex>

namespace eas::proxy {

namespace {
thread_local const nlohmann::json* current_fields = nullptr;
std::atomic<bool> json_format{false};
}  // namespace

bool structured_logging() {
    return json_format.load(std::memory_order_relaxed);
}

ScopedLogFields::ScopedLogFields(const nlohmann::json& fields) : previous_(current_fields) {
    current_fields = &fields;
}
ScopedLogFields::~ScopedLogFields() {
    current_fields = previous_;
}

// Appends to a file; reopen() switches to a new file at the same path (after logrotate moved
// the old one). Lines are flushed by the logger's flush level.
class ReopenableFileSink : public spdlog::sinks::base_sink<std::mutex> {
  public:
    explicit ReopenableFileSink(std::string path) : path_(std::move(path)) {}
    ~ReopenableFileSink() override {
        if (file_) std::fclose(file_);
    }
    bool open(std::string& error) {
        std::lock_guard lock(mutex_);
        return open_locked(error);
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (!file_) return;
        spdlog::memory_buf_t out;
        formatter_->format(msg, out);
        std::fwrite(out.data(), 1, out.size(), file_);
    }
    void flush_() override {
        if (file_) std::fflush(file_);
    }

  private:
    bool open_locked(std::string& error) {
        // 0640: a log names users and devices; it is not for everyone on the machine.
        const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) {
            error = path_ + ": " + std::strerror(errno);
            return false;
        }
        FILE* f = ::fdopen(fd, "a");
        if (!f) {
            error = path_ + ": " + std::strerror(errno);
            ::close(fd);
            return false;
        }
        if (file_) std::fclose(file_);
        file_ = f;
        return true;
    }
    std::string path_;
    FILE* file_ = nullptr;
};

namespace {

// {"time":"2026-11-25T12:00:00.123Z","level":"warn","msg":"...", ...the flow's fields}
class JsonFormatter : public spdlog::formatter {
  public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        nlohmann::json j;
        const auto t = msg.time;
        const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
        const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
        std::tm tm{};
        gmtime_r(&tt, &tm);
        char buf[96];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                      static_cast<int>(ms));
        j["time"] = buf;
        const auto level = spdlog::level::to_string_view(msg.level);
        j["level"] = std::string(level.data(), level.size());
        j["msg"] = std::string(msg.payload.data(), msg.payload.size());
        if (current_fields && current_fields->is_object()) {
            for (const auto& [k, v] : current_fields->items()) j[k] = v;
        }
        // Invalid UTF-8 from a device (a DeviceType, a URL) must not end the process.
        const auto text = compact_json(j);
        dest.append(text.data(), text.data() + text.size());
        dest.push_back('\n');
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>();
    }
};

}  // namespace

bool Log::reopen(std::string& error) {
    return !file || file->open(error);
}

std::optional<Log> make_log(const std::string& format, const std::string& file,
                            const std::string& level, std::string& error) {
    Log log;
    if (file.empty()) {
        log.logger = spdlog::stderr_color_mt("easproxy");
    } else {
        log.file = std::make_shared<ReopenableFileSink>(file);
        if (!log.file->open(error)) return std::nullopt;
        log.logger = std::make_shared<spdlog::logger>("easproxy", log.file);
    }
    if (format == "json") {
        json_format = true;
        log.logger->set_formatter(std::make_unique<JsonFormatter>());
    } else {
        log.logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
    }
    log.logger->set_level(spdlog::level::from_str(level));
    log.logger->flush_on(spdlog::level::info);
    return log;
}

}  // namespace eas::proxy
