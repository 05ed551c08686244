// "HOST:PORT" as --listen and --web take it ("[::1]:8443" for IPv6).
#pragma once

#include <optional>
#include <string>

#include "asio.hpp"

namespace eas::proxy {

std::optional<net::tcp::endpoint> parse_listen(const std::string& listen, std::string& error);

}  // namespace eas::proxy
