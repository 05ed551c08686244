#include "trace_writer.hpp"

#include "compact_json.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace eas::proxy {
namespace {

bool write_all(std::FILE* file, const std::string& text) {
    const int fd = ::fileno(file);  // never written through stdio: nothing buffered there
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

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
            // The batch as one text in one write(): a record is about 10 KB, and through
            // stdio's 4 KB buffer it took three.
            text_.clear();
            for (const auto& flow : batch) {
                append_compact_json(flow_record(flow, options_), text_);
                text_ += '\n';
            }
            const bool ok = write_all(file_, text_);
            if (text_.capacity() > 1024 * 1024) text_ = std::string();  // after a burst
            lock.lock();
            (ok ? written_ : errors_) += batch.size();
        }
        if (stop_) return;
        // Let flows gather before the next pass: woken for each one, the writer cost two
        // thread switches per request on the proxy's core. Records reach the file within 10 ms.
        wake_.wait_for(lock, std::chrono::milliseconds(10), [&] { return stop_ || reopen_; });
    }
}

}  // namespace eas::proxy
