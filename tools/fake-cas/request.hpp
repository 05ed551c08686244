// One EAS request as the handlers see it: the parsed request (query in either form, headers,
// user, device, decoded WBXML) and the response they build. A response body is either a
// string or a BodySource the connection pulls chunks from, so a 100 MB attachment is never
// held in memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "asio.hpp"
#include "http_parser.hpp"
#include "organisation.hpp"
#include "request_line.hpp"
#include "wbxml_document.hpp"

namespace fakecas {

namespace asio = eas::net::asio;
using eas::net::awaitable;

class BodySource {
  public:
    virtual ~BodySource() = default;
    virtual std::uint64_t size() const = 0;
    // Fills `out` with the next bytes; returns how many (0 only at the end).
    virtual std::size_t next(std::span<char> out) = 0;
};

struct Response {
    int status = 200;
    std::vector<eas::http::Header> headers;
    std::string body;
    std::unique_ptr<BodySource> stream;  // when set, replaces body
    std::optional<int> eas_status;       // for the log line
    std::string note;                    // for the log line ("451 -> URL", "held 30 s")
    bool close = false;                  // close the connection after this response
    std::string log_prefix;              // who and what, for the log line the listener writes

    void header(std::string name, std::string value) {
        headers.push_back({std::move(name), std::move(value)});
    }
};

// Server-wide state the handlers share: the organisation, a signal raised when an admin switch
// changes it (held requests re-check the 451 rule) and one raised at shutdown so held Ping and
// Sync requests end at once.
struct Runtime {
    explicit Runtime(const Config& config) : org(config), down_mode(config.scenario.down_mode) {}
    Organisation org;
    DownMode down_mode;  // how a down site behaves; the admin endpoint can change it
    Signal topology;
    Signal stopping;
    bool stopped = false;
};

struct EasRequest {
    Runtime* rt = nullptr;
    Cas* cas = nullptr;
    asio::any_io_executor executor;

    const eas::http::MessageHead* head = nullptr;
    const std::string* body = nullptr;
    eas::EasRequestLine query;
    std::string command;  // canonical name ("FolderSync"), or as sent when unknown
    std::string version;  // "14.1"
    int version_x10 = 141;
    std::optional<std::uint32_t> policy_key;
    bool accept_multipart = false;
    bool save_in_sent = false;

    User* user = nullptr;
    Device* device = nullptr;

    // Decoded body (WBXML requests); root_element() is kNoNode for an empty body.
    eas::wbxml::Document doc;
    bool body_is_wbxml = false;
};

}  // namespace fakecas
