// The EAS endpoint URL a device talks to ("https://mail.contoso.com/Microsoft-Server-ActiveSync"):
// from --url at start, then from X-MS-Location after a followed 451.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eas::device {

struct Url {
    std::string scheme;  // "https" or "http" (lower case)
    std::string host;    // without IPv6 brackets
    std::uint16_t port = 443;
    std::string path;  // "" when the URL names none: the caller picks one

    bool tls() const { return scheme == "https"; }
    // "https://host:port": two URLs with the same origin share a connection.
    std::string origin() const;
    // Host header value: the port only when it is not the scheme's default.
    std::string host_header() const;
    // "host:port", the port always (the CONNECT target, and how connection notes name a peer).
    std::string authority() const;
    std::string to_string() const;  // origin + path
};

// Absolute http(s) URL; a query or fragment is dropped (X-MS-Location carries none, and the
// device builds its own query). Returns nullopt and says why in *error otherwise.
std::optional<Url> parse_url(std::string_view text, std::string* error = nullptr);

}  // namespace eas::device
