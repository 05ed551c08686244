#include "connect_to.hpp"

#include <algorithm>
#include <charconv>

#include "ascii.hpp"

namespace eas::device {
namespace {

// Takes the next field off `text`, up to a colon or the end; a field starting with '[' runs to
// its ']' so an IPv6 address keeps its colons. False when the brackets do not close.
bool take_field(std::string_view& text, std::string& field) {
    std::size_t end = 0;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return false;
        field = std::string(text.substr(1, close - 1));
        end = close + 1;
    } else {
        end = std::min(text.find(':'), text.size());
        field = std::string(text.substr(0, end));
    }
    text.remove_prefix(end);
    return true;
}

bool parse_port(const std::string& text, std::optional<std::uint16_t>& out) {
    if (text.empty()) {
        out.reset();
        return true;
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
        return false;
    out = static_cast<std::uint16_t>(value);
    return true;
}

std::string bracketed_host(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::optional<ConnectTo> parse_connect_to(std::string_view text, std::string* error) {
    auto fail = [error, text](const std::string& why) -> std::optional<ConnectTo> {
        if (error) *error = "'" + std::string(text) + "': " + why;
        return std::nullopt;
    };
    std::string fields[4];
    for (int i = 0; i < 4; ++i) {
        if (!take_field(text, fields[i])) return fail("unclosed '['");
        if (i < 3) {
            if (text.empty() || text.front() != ':')
                return fail("needs four fields, HOST:PORT:ADDR:PORT2 (empty ones allowed)");
            text.remove_prefix(1);
        }
    }
    if (!text.empty()) return fail("more than four fields (IPv6 addresses go in brackets)");
    ConnectTo rule;
    rule.host = to_lower(fields[0]);
    rule.to_host = fields[2];
    if (!parse_port(fields[1], rule.port)) return fail("bad port '" + fields[1] + "'");
    if (!parse_port(fields[3], rule.to_port)) return fail("bad port '" + fields[3] + "'");
    if (rule.to_host.empty() && !rule.to_port) return fail("ADDR and PORT2 are both empty");
    return rule;
}

DialTarget dial_target(const std::vector<ConnectTo>& rules, const std::string& host,
                       std::uint16_t port) {
    for (const auto& rule : rules) {
        if (!rule.host.empty() && !iequals(rule.host, host)) continue;
        if (rule.port && *rule.port != port) continue;
        return {rule.to_host.empty() ? host : rule.to_host, rule.to_port.value_or(port), &rule};
    }
    return {host, port, nullptr};
}

std::string to_string(const ConnectTo& rule) {
    auto port = [](const std::optional<std::uint16_t>& p) {
        return p ? std::to_string(*p) : std::string();
    };
    return bracketed_host(rule.host) + ":" + port(rule.port) + ":" + bracketed_host(rule.to_host) +
           ":" + port(rule.to_port);
}

}  // namespace eas::device
