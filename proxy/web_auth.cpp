#include "web_auth.hpp"

#include "ascii.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace eas::proxy::web {
namespace {

// Cookie values may not hold spaces, quotes, commas or semicolons: tokens are percent-encoded.
std::string percent_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[b >> 4];
            out += kHex[b & 15];
        }
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// "127.0.0.1:8081" -> "127.0.0.1", "[::1]:8081" -> "::1", "localhost" -> "localhost"
std::string_view host_name(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        return close == std::string_view::npos ? host : host.substr(1, close - 1);
    }
    const auto colon = host.find(':');
    return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool is_loopback_name(std::string_view name) {
    if (iequals(name, "localhost") || name == "::1") return true;
    // 127.0.0.0/8, written as a dotted quad.
    if (name.substr(0, 4) != "127.") return false;
    int dots = 0;
    for (const char c : name) {
        if (c == '.') {
            ++dots;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    return dots == 3;
}

}  // namespace

bool same_secret(std::string_view a, std::string_view b) {
    if (a.size() != b.size() || a.empty()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_token(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
        throw std::runtime_error("no random bytes from OpenSSL");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (const char c : raw) {
        const auto b = static_cast<unsigned char>(c);
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    return out;
}

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (percent_decode(pair.substr(0, eq), true) == name)
            return eq == std::string_view::npos ? std::string()
                                                : percent_decode(pair.substr(eq + 1), true);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

std::string without_param(std::string_view target, std::string_view name) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return std::string(target);
    std::string out(target.substr(0, q));
    std::string kept;
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (!pair.empty() && percent_decode(pair.substr(0, pair.find('=')), true) != name) {
            kept += kept.empty() ? "" : "&";
            kept += pair;
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    if (!kept.empty()) out += "?" + kept;
    return out;
}

std::optional<std::string> cookie_value(const http::MessageHead& request, std::string_view name) {
    for (const auto& h : request.headers) {
        if (!iequals(h.name, "Cookie")) continue;
        std::string_view rest = h.value;
        while (!rest.empty()) {
            const auto semi = rest.find(';');
            const std::string_view pair = trim(rest.substr(0, semi));
            const auto eq = pair.find('=');
            if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name)
                return std::string(trim(pair.substr(eq + 1)));
            if (semi == std::string_view::npos) break;
            rest.remove_prefix(semi + 1);
        }
    }
    return std::nullopt;
}

bool is_public_path(std::string_view path) {
    return path == "/ca" || path.substr(0, 4) == "/ca/";
}

Access check_access(const http::MessageHead& request, std::string_view token) {
    Access a;
    if (token.empty() || is_public_path(path_of(request.target))) {
        a.allowed = true;
        return a;
    }
    if (const auto q = query_param(request.target, "token")) {
        if (same_secret(*q, token)) {
            a.allowed = true;
            a.by_query = true;
            return a;
        }
        a.why = "the token in ?token= is wrong";
        return a;
    }
    if (const auto c = cookie_value(request, kTokenCookie);
        c && same_secret(percent_decode(*c, true), token)) {
        a.allowed = true;
        return a;
    }
    if (const auto* auth = request.find("Authorization")) {
        const std::string_view v = trim(*auth);
        if (v.size() > 7 && iequals(v.substr(0, 7), "Bearer ") &&
            same_secret(trim(v.substr(7)), token)) {
            a.allowed = true;
            return a;
        }
        a.why = "the Authorization header does not carry the access token";
        return a;
    }
    a.why =
        "this page needs the access token (--web-token): open it once as /?token=TOKEN, or "
        "send Authorization: Bearer TOKEN";
    return a;
}

std::string token_cookie(std::string_view token) {
    return std::string(kTokenCookie) + "=" + percent_encode(token) +
           "; Path=/; HttpOnly; SameSite=Strict";
}

bool host_allowed(const http::MessageHead& request, bool token_set) {
    if (token_set) return true;
    const auto* host = request.find("Host");
    // A browser always names the host it thinks it talks to; a request without one is not a
    // page on another site.
    if (!host) return true;
    return is_loopback_name(host_name(trim(*host)));
}

std::string check_csrf(const http::MessageHead& request, std::string_view csrf_token) {
    const auto* sent = request.find(kCsrfHeader);
    if (!sent || !same_secret(trim(*sent), csrf_token))
        return "missing or wrong " + std::string(kCsrfHeader) + " header (it comes with the page)";
    const auto* host = request.find("Host");
    if (!host || trim(*host).empty()) return "no Host header";
    if (const auto* origin = request.find("Origin")) {
        const std::string expected = "http://" + std::string(trim(*host));
        if (!iequals(trim(*origin), expected))
            return "Origin " + std::string(trim(*origin)) + " is not this listener (" + expected +
                   ")";
    } else if (const auto* site = request.find("Sec-Fetch-Site")) {
        if (!iequals(trim(*site), "same-origin") && !iequals(trim(*site), "none"))
            return "Sec-Fetch-Site " + std::string(trim(*site)) + ": a request from another site";
    }
    return {};
}

}  // namespace eas::proxy::web
