// --keylog FILE: TLS secrets in the NSS key log format (SSLKEYLOGFILE), for both sides of the
// proxy, so Wireshark can decrypt a packet capture taken beside it. Whoever holds the file can
// read the traffic: it is created 0600 and easproxy warns at start.
#pragma once

#include <string>

#include "asio.hpp"

namespace eas::net {

// Opens (appends to) the key log for the whole process; false with `error` on failure.
bool open_keylog(const std::string& path, std::string& error);
// Makes the context's connections write their secrets to the key log, when one is open.
void attach_keylog(ssl::context& ctx);

}  // namespace eas::net
