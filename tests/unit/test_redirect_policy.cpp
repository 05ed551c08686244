#include <catch2/catch.hpp>

#include "bindings.hpp"
#include "redirect_policy.hpp"

using namespace eas::proxy;

namespace {
Origin origin(const std::string& url) {
    std::string error;
    auto o = parse_origin(url, error);
    REQUIRE(o);
    return *o;
}
}  // namespace

TEST_CASE("redirects are followed within the upstream's domain by default") {
    const auto up = origin("https://mail.contoso.com");
    RedirectRules rules;
    auto v = check_redirect("https://mail2.eu.contoso.com/Microsoft-Server-ActiveSync", up, rules,
                            {}, 0);
    CHECK(v.allowed);
    CHECK(v.target.host == "mail2.eu.contoso.com");
    CHECK(v.path == "/Microsoft-Server-ActiveSync");
    v = check_redirect("https://outlook.office365.com/Microsoft-Server-ActiveSync", up, rules, {},
                       0);
    CHECK_FALSE(v.allowed);
    CHECK_THAT(v.reason, Catch::Contains("not on the follow allowlist"));
}

TEST_CASE("an explicit allowlist, https only, loops and the hop limit") {
    const auto up = origin("https://mail.contoso.com");
    RedirectRules rules;
    rules.allow = {"*.fabrikam.com", "outlook.office365.com"};
    CHECK(check_redirect("https://eas.fabrikam.com/x", up, rules, {}, 0).allowed);
    CHECK(check_redirect("https://OUTLOOK.office365.com/x", up, rules, {}, 0).allowed);
    CHECK_FALSE(check_redirect("https://mail.contoso.com/x", up, rules, {}, 0).allowed);
    auto v = check_redirect("http://eas.fabrikam.com/x", up, rules, {}, 0);
    CHECK_FALSE(v.allowed);
    CHECK_THAT(v.reason, Catch::Contains("https only"));
    v = check_redirect("https://eas.fabrikam.com/x", up, rules, {"https://eas.fabrikam.com"}, 1);
    CHECK_THAT(v.reason, Catch::Contains("loop"));
    v = check_redirect("https://eas.fabrikam.com/x", up, rules, {}, 3);
    CHECK_THAT(v.reason, Catch::Contains("hop limit of 3"));
    CHECK_THAT(check_redirect("", up, rules, {}, 0).reason, Catch::Contains("no X-MS-Location"));
    CHECK_THAT(check_redirect("mail.fabrikam.com", up, rules, {}, 0).reason,
               Catch::Contains("not a usable URL"));
}

TEST_CASE("an address upstream allows only itself by default") {
    const auto up = origin("https://127.0.0.1:8443");
    RedirectRules rules;
    CHECK(check_redirect("https://127.0.0.1:9443/Microsoft-Server-ActiveSync", up, rules, {}, 0)
              .allowed);
    CHECK_FALSE(
        check_redirect("https://10.1.2.3/Microsoft-Server-ActiveSync", up, rules, {}, 0).allowed);
}

TEST_CASE("bindings remember where a device was moved, until dropped or expired") {
    Bindings b(std::chrono::seconds(60));
    const auto key = Bindings::key("CONTOSO\\\\Alex", "ABC123");
    CHECK_FALSE(b.find(key));
    b.bind(key, origin("https://mail2.contoso.com"));
    REQUIRE(b.find(Bindings::key("contoso\\\\alex", "ABC123")));
    CHECK(b.find(key)->host == "mail2.contoso.com");
    b.drop(key);
    CHECK_FALSE(b.find(key));
    Bindings expired(std::chrono::seconds(-1));
    expired.bind(key, origin("https://mail2.contoso.com"));
    CHECK_FALSE(expired.find(key));
}

TEST_CASE("bindings: expired ones are swept when another is made, and their number is capped") {
    Bindings expired(std::chrono::seconds(-1));
    for (int i = 0; i < 50; ++i)
        expired.bind(Bindings::key("alex", "D" + std::to_string(i)), origin("https://b.contoso"));
    CHECK(expired.stored() == 1);  // each new binding swept the expired ones before it

    Bindings capped(std::chrono::seconds(60));
    capped.set_max_entries(2);
    capped.bind("alex/D1", origin("https://b1.contoso"));
    capped.bind("alex/D2", origin("https://b2.contoso"));
    capped.bind("alex/D3", origin("https://b3.contoso"));
    CHECK(capped.stored() == 2);
    CHECK_FALSE(capped.find("alex/D1"));  // the first to expire went
    CHECK(capped.find("alex/D2"));
    CHECK(capped.find("alex/D3"));
}

TEST_CASE("per-device rules: first match wins, exact or ~regex, empty fields match anything") {
    RedirectRules rules;
    rules.mode = On451::Pass;
    DeviceRule legacy;
    legacy.device_type = "windowsmobile";
    legacy.mode = On451::Follow;
    DeviceRule by_agent;
    by_agent.user_agent = "~^MSFT-PPC/5\\.";
    by_agent.mode = On451::Rewrite;
    rules.device_rules = {legacy, by_agent};
    CHECK(mode_for(rules, {"alex", "D1", "WindowsMobile", "x"}) == On451::Follow);
    CHECK(mode_for(rules, {"alex", "D1", "PocketPC", "MSFT-PPC/5.2.5082"}) == On451::Rewrite);
    CHECK(mode_for(rules, {"alex", "D1", "iPhone", "Apple-iPhone/1"}) == On451::Pass);
    CHECK(mode_for(rules, {"alex", "D1", "WindowsMobile2", "x"}) ==
          On451::Pass);  // exact, not prefix
    CHECK(parse_mode("FOLLOW") == On451::Follow);
    CHECK_FALSE(parse_mode("sometimes"));
    CHECK(mode_name(On451::Rewrite) == "rewrite");
}
