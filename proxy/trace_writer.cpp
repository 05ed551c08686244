#include "trace_writer.hpp"

#include <cerrno>
#include <cstring>

namespace eas::proxy {

TraceWriter::TraceWriter(std::string path, RecordOptions options, std::string& error)
    : path_(std::move(path)), options_(options) {
    file_ = std::fopen(path_.c_str(), "a");
    if (!file_) {
        error = path_ + ": " + std::strerror(errno);
        return;
    }
    thread_ = std::thread([this] { run(); });
}

TraceWriter::~TraceWriter() {
    flush_and_stop();
}

void TraceWriter::enqueue(const Flow& f) {
    if (!file_) return;
    // The record is built on the I/O thread (it reads the flow, which is gone afterwards);
    // only the write waits for the disk.
    std::string line =
        flow_record(f, options_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += '\n';
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(line));
    }
    wake_.notify_one();
}

void TraceWriter::reopen() {
    {
        std::lock_guard lock(mutex_);
        reopen_ = true;
    }
    wake_.notify_one();
}

void TraceWriter::flush_and_stop() {
    {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        stop_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    if (file_) std::fclose(file_);
    file_ = nullptr;
}

std::uint64_t TraceWriter::written() const {
    std::lock_guard lock(mutex_);
    return written_;
}

std::uint64_t TraceWriter::write_errors() const {
    std::lock_guard lock(mutex_);
    return errors_;
}

void TraceWriter::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stop_ || reopen_ || !queue_.empty(); });
        if (reopen_) {
            reopen_ = false;
            std::FILE* f = std::fopen(path_.c_str(), "a");
            if (f) {
                std::fclose(file_);
                file_ = f;
            } else {
                ++errors_;  // keep writing to the old file rather than lose records
            }
        }
        while (!queue_.empty()) {
            std::string line = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            const bool ok = std::fwrite(line.data(), 1, line.size(), file_) == line.size() &&
                            std::fflush(file_) == 0;
            lock.lock();
            ok ? ++written_ : ++errors_;
        }
        if (stop_) return;
    }
}

}  // namespace eas::proxy
