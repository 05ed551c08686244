#include "origin.hpp"

#include <charconv>

#include "http_parser.hpp"

namespace eas::proxy {

std::string Origin::authority() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string out = v6 ? "[" + host + "]" : host;
    if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
    return out;
}

std::string Origin::to_string() const {
    return scheme() + "://" + authority();
}

std::optional<Origin> parse_origin(std::string_view url, std::string& error) {
    Origin o;
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) {
        error = "\"" + std::string(url) + "\" is not a URL (expected https://host[:port][/path])";
        return std::nullopt;
    }
    const auto scheme = url.substr(0, sep);
    if (http::iequals(scheme, "https")) {
        o.tls = true;
    } else if (http::iequals(scheme, "http")) {
        o.tls = false;
    } else {
        error = "scheme \"" + std::string(scheme) + "\" is not http or https";
        return std::nullopt;
    }
    o.port = o.tls ? 443 : 80;
    auto rest = url.substr(sep + 3);
    const auto slash = rest.find_first_of("/?");
    auto authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        auto path = rest.substr(slash);
        path = path.substr(0, path.find('?'));
        o.path = std::string(path == "/" ? "" : path);
    }
    if (const auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "unclosed [ in \"" + std::string(url) + "\"";
            return std::nullopt;
        }
        o.host = std::string(authority.substr(1, close - 1));
        if (close + 1 < authority.size() && authority[close + 1] == ':')
            port_text = authority.substr(close + 2);
    } else {
        const auto colon = authority.rfind(':');
        o.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (o.host.empty()) {
        error = "no host in \"" + std::string(url) + "\"";
        return std::nullopt;
    }
    if (!port_text.empty()) {
        unsigned v = 0;
        const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
        if (r.ec != std::errc() || r.ptr != port_text.data() + port_text.size() || v == 0 ||
            v > 65535) {
            error = "port \"" + std::string(port_text) + "\" is not 1-65535";
            return std::nullopt;
        }
        o.port = static_cast<unsigned short>(v);
    }
    return o;
}

}  // namespace eas::proxy
