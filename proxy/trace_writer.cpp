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
    // The I/O thread only copies the flow (its bodies are bounded by --decode-limit); decoding,
    // building the record and escaping it as JSON happen on the writer thread.
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(f);
        wake = writer_idle_;
    }
    if (wake) wake_.notify_one();  // a busy writer finds the flow on its next pass
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
        writer_idle_ = true;
        wake_.wait(lock, [&] { return stop_ || reopen_ || !queue_.empty(); });
        writer_idle_ = false;
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
        while (!queue_.empty()) {  // the whole batch, one flush
            std::deque<Flow> batch;
            batch.swap(queue_);
            lock.unlock();
            std::size_t ok_n = 0;
            for (const auto& flow : batch) {
                std::string line =
                    flow_record(flow, options_)
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
                line += '\n';
                if (std::fwrite(line.data(), 1, line.size(), file_) == line.size()) ++ok_n;
            }
            const bool flushed = std::fflush(file_) == 0;
            lock.lock();
            written_ += flushed ? ok_n : 0;
            errors_ += flushed ? batch.size() - ok_n : batch.size();
        }
        if (stop_) return;
    }
}

}  // namespace eas::proxy
