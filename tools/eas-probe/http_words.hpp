// Plain words for HTTP answers a step did not hope for, as an administrator needs them: what
// the status means for ActiveSync, and where to look. 451 is not here: the probe handles it
// (follow or stop) before asking for words.
#pragma once

#include <string>

#include "http_parser.hpp"

namespace eas::probe {

// "wrong user name or password (HTTP 401) ...", "HTTP 503 Service Unavailable ... Retry-After:
// 30 s", ... `user` is the logon name the credentials were for.
std::string http_problem(const http::MessageHead& head, const std::string& user);

// The server asks for provisioning (HTTP 449, or Status 142/143/144 in a 200): how to say so.
std::string provisioning_words(int http_status, int eas_status);
bool asks_for_provisioning(int http_status, int eas_status);

}  // namespace eas::probe
