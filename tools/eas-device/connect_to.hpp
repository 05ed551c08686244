// curl-style --connect-to rules, HOST:PORT:ADDR:PORT2: connections meant for HOST:PORT go to
// ADDR:PORT2 instead, while the URL, the Host header, SNI and the certificate check keep the
// real name. Tests point autodiscover.contoso.test:443 at a simulated server on 127.0.0.1 this
// way, and an engineer can test one server behind a load balancer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eas::device {

struct ConnectTo {
    std::string host;                      // "" matches every host
    std::optional<std::uint16_t> port;     // nullopt matches every port
    std::string to_host;                   // "" keeps the host
    std::optional<std::uint16_t> to_port;  // nullopt keeps the port
};

// "HOST:PORT:ADDR:PORT2"; any part may be empty (as in curl), IPv6 addresses in brackets.
// Returns nullopt and says why in *error otherwise.
std::optional<ConnectTo> parse_connect_to(std::string_view text, std::string* error = nullptr);

struct DialTarget {
    std::string host;
    std::uint16_t port = 0;
    const ConnectTo* rule = nullptr;  // the rule that applied, if any
};

// Where to dial for host:port: the first matching rule (host compared case-insensitively),
// else host:port itself.
DialTarget dial_target(const std::vector<ConnectTo>& rules, const std::string& host,
                       std::uint16_t port);

// "HOST:PORT:ADDR:PORT2" as given, for notes and reports.
std::string to_string(const ConnectTo& rule);

}  // namespace eas::device
