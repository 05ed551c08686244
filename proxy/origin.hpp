// An upstream origin parsed from a URL: scheme, host, port, and the path prefix it serves.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace eas::proxy {

struct Origin {
    bool tls = true;
    std::string host;  // name or address literal (no brackets)
    unsigned short port = 443;
    std::string path;  // "/Microsoft-Server-ActiveSync", or "" for "/"

    std::string scheme() const { return tls ? "https" : "http"; }
    // "https://mail.contoso.com" (port only when not the scheme's default), brackets for IPv6.
    std::string to_string() const;
    // Host header value: host[:port].
    std::string authority() const;
    bool operator==(const Origin& o) const {
        return tls == o.tls && host == o.host && port == o.port;
    }
};

// Parses http:// and https:// URLs; error says what is wrong.
std::optional<Origin> parse_origin(std::string_view url, std::string& error);

}  // namespace eas::proxy
