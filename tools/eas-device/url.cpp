#include "url.hpp"
#include "ascii.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace eas::device {
namespace {

std::string bracketed(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string Url::origin() const {
    return scheme + "://" + bracketed(host) + ":" + std::to_string(port);
}

std::string Url::host_header() const {
    const bool default_port = (tls() && port == 443) || (!tls() && port == 80);
    return default_port ? bracketed(host) : bracketed(host) + ":" + std::to_string(port);
}

std::string Url::authority() const {
    return bracketed(host) + ":" + std::to_string(port);
}

std::string Url::to_string() const {
    return scheme + "://" + host_header() + path;
}

std::optional<Url> parse_url(std::string_view text, std::string* error) {
    auto fail = [error](std::string why) -> std::optional<Url> {
        if (error) *error = std::move(why);
        return std::nullopt;
    };
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);

    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return fail("not an absolute URL (no scheme://)");
    Url url;
    url.scheme = to_lower(text.substr(0, scheme_end));
    if (url.scheme != "https" && url.scheme != "http")
        return fail("scheme '" + url.scheme + "' is not https or http");
    url.port = url.tls() ? 443 : 80;
    text.remove_prefix(scheme_end + 3);

    const auto authority_end = text.find_first_of("/?#");
    std::string_view authority = text.substr(0, authority_end);
    std::string_view rest =
        authority_end == std::string_view::npos ? std::string_view{} : text.substr(authority_end);
    if (authority.find('@') != std::string_view::npos) {
        // Credentials in a URL would end up in logs; the device takes them from options only.
        return fail("user information in the URL is not supported (use --user and --password-env)");
    }

    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return fail("unclosed '[' in the host");
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail("unexpected text after ']'");
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (url.host.empty()) return fail("no host");
    url.host = to_lower(url.host);
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535) {
            return fail("bad port '" + std::string(port_text) + "'");
        }
        url.port = static_cast<std::uint16_t>(value);
    }

    const auto path_end = rest.find_first_of("?#");
    std::string_view path = rest.substr(0, path_end);
    url.path = std::string(path);
    return url;
}

}  // namespace eas::device
