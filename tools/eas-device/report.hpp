// What the device prints. Text mode: one line per exchange,
//   [device ID TYPE] Sync -> HTTP 200 (Status 1 Success) 12 ms 345 bytes
// plus notes (451 handling, provisioning) and a final line saying how the run ended, all on
// stdout so a transcript reads top to bottom. --json: one JSON object per exchange on stdout,
// notes and the final line on stderr, so stdout stays machine-readable. The password is never
// printed: Authorization is redacted in --verbose output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "http_parser.hpp"
#include "options.hpp"

namespace eas::device {

struct ExchangeRecord {
    std::string cmd;
    std::string url;      // full request URL, query included
    int http_status = 0;  // 0 when no response arrived
    std::optional<int> eas_status;
    std::string status_words;
    std::int64_t ms = 0;
    std::uint64_t bytes_sent = 0;      // request body bytes
    std::uint64_t bytes_received = 0;  // response body bytes (as sent, before Content-Encoding)
    std::optional<std::string> redirect_to;  // X-MS-Location of a 451
    bool reused_connection = false;
    std::string error;         // transport failure, in words
    bool interrupted = false;  // ended by SIGINT/SIGTERM, not by a failure
    // --verbose
    const http::MessageHead* request_head = nullptr;
    std::string request_body;  // decoded for display
    const http::MessageHead* response_head = nullptr;
    std::string response_body;
};

class Reporter {
  public:
    explicit Reporter(const Options& o);
    void exchange(const ExchangeRecord& r);
    void note(const std::string& text);    // always shown
    void detail(const std::string& text);  // --verbose only
    void finish(int exit_status, const std::string& text);
    bool verbose() const { return verbose_; }

  private:
    std::string tag_;
    std::string device_id_;
    bool json_;
    bool verbose_;
};

// "Basic <redacted>" for Authorization, the value for everything else.
std::string shown_header_value(const http::Header& h);

}  // namespace eas::device
