// One flow = one request/response exchange through the proxy: both heads, bounded copies of
// both bodies for decoding, timings, the upstream, and what went wrong. Observers (log, trace,
// metrics, live view) read flows through flow events; the proxy core fills them in.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http_parser.hpp"
#include "request_line.hpp"

namespace eas::proxy {

using Clock = std::chrono::system_clock;
using Steady = std::chrono::steady_clock;

// A body as the proxy saw it: every byte counted, the first `limit` kept for decoding.
struct BodyCapture {
    std::uint64_t bytes = 0;  // all bytes that went through
    std::string kept;         // the first bytes, up to the decode limit
    bool truncated = false;   // bytes > kept.size(): not decoded, "N bytes over limit"
    std::size_t limit = 0;    // the decode limit the body was held to (for that note)
    // A body whose Content-Length is over the decode limit is never decoded: only a prefix is
    // kept (MIME headers, a raw preview), not the limit's worth (4 MB per large download).
    static constexpr std::size_t oversize_prefix = 64 * 1024;
    std::size_t keep = SIZE_MAX;

    void announce(std::optional<std::uint64_t> content_length, std::size_t decode_limit) {
        if (content_length && *content_length > decode_limit)
            keep = std::min(decode_limit, oversize_prefix);
    }

    void append(std::string_view chunk, std::size_t decode_limit) {
        limit = decode_limit;
        const std::size_t cap = std::min(decode_limit, keep);
        bytes += chunk.size();
        if (kept.size() < cap) {
            const auto room = cap - kept.size();
            kept.append(chunk.substr(0, room));
            if (chunk.size() > room) truncated = true;
        } else if (!chunk.empty()) {
            truncated = true;
        }
    }
};

struct DecodedResponse;  // flow_record.cpp

struct Flow {
    std::uint64_t id = 0;
    std::string client;    // device address "ip:port"
    std::string listener;  // "https://0.0.0.0:8443" as configured
    std::string upstream;  // origin the request went to, "https://cas:443"

    http::MessageHead request;
    EasRequestLine eas;  // decoded request line (command, user, device...)
    BodyCapture request_body;

    std::optional<http::MessageHead> response;
    BodyCapture response_body;

    Clock::time_point started_at{};
    Steady::time_point started{};
    std::optional<Steady::duration> upstream_connect;  // when a new connection was made
    std::optional<Steady::duration> upstream_queue;    // waited for a slot under the cap
    std::optional<Steady::duration> first_response_byte;
    std::optional<Steady::duration> finished;

    // Set when the proxy answered on its own (502, 504, 400...) or the exchange broke off.
    std::string error;           // plain words
    std::string error_stage;     // "device request", "upstream connect", "upstream response"...
    int synthesized_status = 0;  // status easproxy sent itself, 0 if the upstream's went through

    // 451 handling (redirect policy issue): what the upstream said and what was done.
    std::string ms_location;
    std::string redirect_decision;            // "pass", "followed", "rewritten", "refused: <why>"
    std::string rewritten_location;           // X-MS-Location as sent to the device, when changed
    std::vector<std::string> redirect_chain;  // upstreams that answered 451, when followed

    std::string
        auth_user;  // from Authorization: Basic, for requests whose query names none (OPTIONS)

    // The response body decoded once, by the first observer that needs it (the log line, on
    // the I/O thread, when the flow completes); copies of the flow (the trace writer's, the
    // live view's) share it instead of decoding again. Never changed once set.
    mutable std::shared_ptr<const DecodedResponse> decoded_response;

    std::string user() const { return eas.user.empty() ? auth_user : eas.user; }
    int status() const {
        return synthesized_status ? synthesized_status : (response ? response->status : 0);
    }
};

}  // namespace eas::proxy
