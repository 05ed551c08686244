// The --web listener's access rules: token (query, cookie, bearer), public CA page, Host names
// without a token (DNS rebinding), CSRF on POSTs.
#include <catch2/catch.hpp>

#include "web_auth.hpp"

using namespace eas::proxy::web;
using eas::http::MessageHead;

namespace {
MessageHead get(const std::string& target, std::vector<eas::http::Header> headers = {}) {
    MessageHead h;
    h.method = "GET";
    h.target = target;
    h.headers = std::move(headers);
    return h;
}
}  // namespace

TEST_CASE("without a token everything is allowed") {
    CHECK(check_access(get("/"), "").allowed);
    CHECK(check_access(get("/metrics"), "").allowed);
}

TEST_CASE("with a token: ?token= once, then the cookie, or a bearer token") {
    const std::string token = "s3cr3t";
    CHECK_FALSE(check_access(get("/"), token).allowed);
    CHECK_FALSE(check_access(get("/metrics"), token).allowed);
    CHECK_FALSE(check_access(get("/api/events"), token).allowed);
    CHECK_THAT(check_access(get("/"), token).why, Catch::Contains("--web-token"));

    const auto by_query = check_access(get("/?token=s3cr3t"), token);
    CHECK(by_query.allowed);
    CHECK(by_query.by_query);
    CHECK(check_access(get("/metrics?x=1&token=s3cr%33t"), token).allowed);  // percent-encoded
    CHECK_FALSE(check_access(get("/?token=s3cr3"), token).allowed);
    CHECK_FALSE(check_access(get("/?token="), token).allowed);
    CHECK_FALSE(check_access(get("/?token=s3cr3tt"), token).allowed);

    CHECK(check_access(get("/", {{"Cookie", "a=b; easproxy_token=s3cr3t; c=d"}}), token).allowed);
    CHECK_FALSE(check_access(get("/", {{"Cookie", "easproxy_token=wrong"}}), token).allowed);
    CHECK_FALSE(check_access(get("/", {{"Cookie", "xeasproxy_token=s3cr3t"}}), token).allowed);

    CHECK(check_access(get("/metrics", {{"Authorization", "Bearer s3cr3t"}}), token).allowed);
    CHECK(check_access(get("/metrics", {{"Authorization", "bearer  s3cr3t "}}), token).allowed);
    CHECK_FALSE(
        check_access(get("/metrics", {{"Authorization", "Basic czNjcjN0"}}), token).allowed);
    CHECK_FALSE(check_access(get("/metrics", {{"Authorization", "Bearer s3cr3"}}), token).allowed);
}

TEST_CASE("the CA page stays public when a token is set") {
    CHECK(check_access(get("/ca/"), "t").allowed);
    CHECK(check_access(get("/ca"), "t").allowed);
    CHECK(check_access(get("/ca/easproxy-ca.pem"), "t").allowed);
    CHECK_FALSE(check_access(get("/cat"), "t").allowed);
    CHECK_FALSE(check_access(get("/api/ca/"), "t").allowed);
}

TEST_CASE("the token cookie and the address without the token") {
    CHECK(token_cookie("abc") == "easproxy_token=abc; Path=/; HttpOnly; SameSite=Strict");
    // A token with characters a cookie cannot carry is percent-encoded there, and still works.
    CHECK(token_cookie("a b;c") == "easproxy_token=a%20b%3Bc; Path=/; HttpOnly; SameSite=Strict");
    CHECK(check_access(get("/", {{"Cookie", "easproxy_token=a%20b%3Bc"}}), "a b;c").allowed);
    CHECK(without_param("/?token=abc", "token") == "/");
    CHECK(without_param("/?a=1&token=abc&b=2", "token") == "/?a=1&b=2");
    CHECK(without_param("/x", "token") == "/x");
    CHECK(path_of("/api/flows/3?x=1") == "/api/flows/3");
    CHECK(query_param("/api/events?since=42", "since") == std::optional<std::string>("42"));
    CHECK_FALSE(query_param("/api/events", "since"));
}

TEST_CASE("secrets compare whole, never a prefix, and random tokens differ") {
    CHECK(same_secret("abc", "abc"));
    CHECK_FALSE(same_secret("abc", "abd"));
    CHECK_FALSE(same_secret("abc", "ab"));
    CHECK_FALSE(same_secret("", ""));
    const auto a = random_token();
    CHECK(a.size() == 48);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a != random_token());
}

TEST_CASE("without a token only loopback Host names are answered (DNS rebinding)") {
    CHECK(host_allowed(get("/", {{"Host", "127.0.0.1:8081"}}), false));
    CHECK(host_allowed(get("/", {{"Host", "127.1.2.3"}}), false));
    CHECK(host_allowed(get("/", {{"Host", "localhost:8081"}}), false));
    CHECK(host_allowed(get("/", {{"Host", "LocalHost"}}), false));
    CHECK(host_allowed(get("/", {{"Host", "[::1]:8081"}}), false));
    CHECK(host_allowed(get("/"), false));  // no Host: not a browser on another site
    CHECK_FALSE(host_allowed(get("/", {{"Host", "attacker.example:8081"}}), false));
    CHECK_FALSE(host_allowed(get("/", {{"Host", "127.0.0.1.attacker.example"}}), false));
    CHECK_FALSE(host_allowed(get("/", {{"Host", "localhost.attacker.example"}}), false));
    CHECK_FALSE(host_allowed(get("/", {{"Host", "10.0.0.1:8081"}}), false));
    // With a token, the token protects: any name.
    CHECK(host_allowed(get("/", {{"Host", "easproxy.corp.example:8081"}}), true));
}

TEST_CASE("POSTs need the page's CSRF token and, from a browser, this origin") {
    const std::string csrf = "c5rf";
    auto post = [](std::vector<eas::http::Header> headers) {
        MessageHead h;
        h.method = "POST";
        h.target = "/api/bindings/clear";
        h.headers = std::move(headers);
        return h;
    };
    CHECK(check_csrf(post({{"Host", "127.0.0.1:8081"}, {"X-CSRF-Token", "c5rf"}}), csrf).empty());
    CHECK(check_csrf(post({{"Host", "127.0.0.1:8081"},
                           {"X-CSRF-Token", "c5rf"},
                           {"Origin", "http://127.0.0.1:8081"}}),
                     csrf)
              .empty());
    CHECK(check_csrf(post({{"Host", "127.0.0.1:8081"},
                           {"X-CSRF-Token", "c5rf"},
                           {"Sec-Fetch-Site", "same-origin"}}),
                     csrf)
              .empty());
    CHECK_THAT(check_csrf(post({{"Host", "127.0.0.1:8081"}}), csrf),
               Catch::Contains("X-CSRF-Token"));
    CHECK_THAT(check_csrf(post({{"Host", "127.0.0.1:8081"}, {"X-CSRF-Token", "c5rg"}}), csrf),
               Catch::Contains("X-CSRF-Token"));
    CHECK_THAT(check_csrf(post({{"Host", "127.0.0.1:8081"},
                                {"X-CSRF-Token", "c5rf"},
                                {"Origin", "http://evil.example"}}),
                          csrf),
               Catch::Contains("not this listener"));
    CHECK_FALSE(
        check_csrf(post({{"Host", "127.0.0.1:8081"}, {"X-CSRF-Token", "c5rf"}, {"Origin", "null"}}),
                   csrf)
            .empty());
    CHECK_FALSE(check_csrf(post({{"Host", "127.0.0.1:8081"},
                                 {"X-CSRF-Token", "c5rf"},
                                 {"Sec-Fetch-Site", "cross-site"}}),
                           csrf)
                    .empty());
    CHECK_FALSE(check_csrf(post({{"X-CSRF-Token", "c5rf"}}), csrf).empty());  // no Host
}
