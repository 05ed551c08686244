// Appends one JSON object per completed flow to the trace file (JSON Lines), from a thread of
// its own so a slow disk never blocks the I/O threads. Each record is flushed as it is written:
// a crash loses at most the flows in flight. reopen() (SIGHUP) starts a new file after log
// rotation moved the old one.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "flow_events.hpp"
#include "flow_record.hpp"

namespace eas::proxy {

class TraceWriter : public FlowObserver {
  public:
    // Opens (appends to) the file; error set and writer inert when it cannot.
    TraceWriter(std::string path, RecordOptions options, std::string& error);
    ~TraceWriter() override;

    void response_complete(const Flow& f) override { enqueue(f); }
    void error(const Flow& f) override { enqueue(f); }

    void reopen();          // from a signal handler's strand: next write opens the path again
    void flush_and_stop();  // writes everything queued, then stops the thread
    std::uint64_t written() const;
    std::uint64_t write_errors() const;

  private:
    void enqueue(const Flow& f);
    void run();

    std::string path_;
    RecordOptions options_;
    std::FILE* file_ = nullptr;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Flow> queue_;  // completed flows, recorded on the writer thread
    std::string text_;        // the writer thread's batch, reused
    bool stop_ = false;
    bool reopen_ = false;
    bool writer_idle_ = false;  // waiting for work: enqueue must wake it
    std::uint64_t written_ = 0;
    std::uint64_t errors_ = 0;
    std::thread thread_;
};

}  // namespace eas::proxy
