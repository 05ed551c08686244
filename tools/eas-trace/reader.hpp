// Reads the trace files given on the command line, in order, as one stream of records
// numbered 1, 2, 3... across all of them (the N of `list` and `show`). Bad lines are reported
// on the error stream as FILE:LINE: why and skipped; reading goes on.
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "record.hpp"

namespace eas::trace {

struct Record {
    const std::string* file = nullptr;  // as given ("-" for stdin)
    std::size_t line = 0;
    std::size_t number = 0;  // position among the good records of all inputs, from 1
    std::string_view text;   // the line as read
    const nlohmann::json* json = nullptr;
    const Summary* summary = nullptr;
};

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadLines = 1;  // some lines were skipped
inline constexpr int kExitError = 2;     // usage, unreadable input, nothing to show

struct ReaderOptions {
    bool quiet_bad = false;                 // count bad lines, print only the total, exit 0
    std::size_t max_reports_per_file = 20;  // then one "... more" line: a binary file given
                                            // by mistake must not flood the terminal
    std::size_t max_line = 256u * 1024 * 1024;
};

class TraceReader {
  public:
    TraceReader(std::vector<std::string> files, std::ostream& err, ReaderOptions options = {});

    // Every input must open before any output is written; false (with messages) otherwise.
    bool check_inputs();

    // Calls `visit` for each good record in order; `visit` returns false to stop early.
    void read(const std::function<bool(const Record&)>& visit);

    std::size_t records() const { return records_; }
    std::size_t bad_lines() const { return bad_lines_; }
    std::size_t input_errors() const { return input_errors_; }
    // Prints the bad-line total when there were any, and says how the run should end.
    int finish();

  private:
    void report_bad(const std::string& file, std::size_t line, const std::string& why,
                    std::size_t& reported);

    std::vector<std::string> files_;
    std::ostream& err_;
    ReaderOptions options_;
    std::size_t records_ = 0;
    std::size_t bad_lines_ = 0;
    std::size_t input_errors_ = 0;
};

}  // namespace eas::trace
