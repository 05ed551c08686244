// Who may use the --web listener, as pure functions over a request head (the listener does the
// I/O). Three checks:
// - the access token (--web-token): `?token=` once (the answer sets a cookie), then the cookie,
//   or `Authorization: Bearer`; the CA page under /ca/ stays public;
// - the Host header: without a token only loopback names are accepted, so a page on another
//   site cannot read the live view by pointing its own name at 127.0.0.1 (DNS rebinding);
// - state-changing POSTs: a per-process CSRF token embedded in the page, sent back in a header,
//   and an Origin (when the browser sends one) naming this listener.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http_parser.hpp"

namespace eas::proxy::web {

inline constexpr std::string_view kTokenCookie = "easproxy_token";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// Compares secrets in time independent of where they differ.
bool same_secret(std::string_view a, std::string_view b);

// `bytes` random bytes from OpenSSL, as lower-case hex.
std::string random_token(std::size_t bytes = 24);

// "/api/flow/3?x=1" -> "/api/flow/3"
std::string_view path_of(std::string_view target);
// The percent-decoded value of a query parameter, or nullopt.
std::optional<std::string> query_param(std::string_view target, std::string_view name);
// The target without that parameter ("/?token=abc&x=1" -> "/?x=1", "/?token=abc" -> "/").
std::string without_param(std::string_view target, std::string_view name);
// A cookie's value from the Cookie header(s), or nullopt.
std::optional<std::string> cookie_value(const http::MessageHead& request, std::string_view name);

// The CA install page: public, even when a token is set (phones fetch it without one).
bool is_public_path(std::string_view path);

struct Access {
    bool allowed = false;
    bool by_query = false;  // the token came as ?token=: answer with a cookie
    std::string why;        // when refused: what was missing, for the 401 page
};

// Token check; everything is allowed when `token` is empty.
Access check_access(const http::MessageHead& request, std::string_view token);

// The Set-Cookie value that keeps the token for later requests.
std::string token_cookie(std::string_view token);

// DNS rebinding guard: with no token, Host must be a loopback address or "localhost" (port
// optional). With a token, any Host (the token is the protection).
bool host_allowed(const http::MessageHead& request, bool token_set);

// A state-changing request: "" when allowed, else why not (for a 403).
std::string check_csrf(const http::MessageHead& request, std::string_view csrf_token);

}  // namespace eas::proxy::web
