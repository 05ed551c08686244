#include "listen_address.hpp"

namespace eas::proxy {

std::optional<net::tcp::endpoint> parse_listen(const std::string& listen, std::string& error) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        error = "--listen \"" + listen + "\": expected HOST:PORT";
        return std::nullopt;
    }
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    const auto addr = net::asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
    if (ec) {
        error = "--listen \"" + listen + "\": \"" + host + "\" is not an IP address";
        return std::nullopt;
    }
    unsigned port = 0;
    try {
        port = static_cast<unsigned>(std::stoul(listen.substr(colon + 1)));
    } catch (...) {
        port = 70000;
    }
    if (port > 65535) {
        error = "--listen \"" + listen + "\": port is not 0-65535";
        return std::nullopt;
    }
    return net::tcp::endpoint(addr, static_cast<unsigned short>(port));
}

}  // namespace eas::proxy
