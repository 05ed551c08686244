// The CA install page: every format parses and carries the CA.
#include <catch2/catch.hpp>
#include <expat.h>

#include <map>
#include <string>
#include <vector>

#include "base64.hpp"
#include "ca_page.hpp"
#include "cert_info.hpp"
#include "mint.hpp"

using namespace eas::proxy;

namespace {

const std::string& test_ca() {
    static const std::string pem = [] {
        auto ca = eas::certs::mint_ca("page test CA");
        REQUIRE(ca.pair);
        return ca.pair->cert_pem;
    }();
    return pem;
}

// The plist's top-level and payload keys with their string/data values, via a real XML parser.
struct Plist {
    bool well_formed = false;
    std::vector<std::pair<std::string, std::string>> values;  // key -> text of the next element
};

Plist parse_plist(const std::string& xml) {
    struct State {
        Plist out;
        std::string text, key;
        bool want_value = false;
    } st;
    XML_Parser p = XML_ParserCreate("UTF-8");
    XML_SetUserData(p, &st);
    XML_SetElementHandler(
        p, [](void* d, const XML_Char*, const XML_Char**) { static_cast<State*>(d)->text.clear(); },
        [](void* d, const XML_Char* name) {
            auto& s = *static_cast<State*>(d);
            const std::string n = name;
            if (n == "key") {
                s.key = s.text;
                s.want_value = true;
            } else if (s.want_value && (n == "string" || n == "data" || n == "integer")) {
                s.out.values.emplace_back(s.key, s.text);
                s.want_value = false;
            }
        });
    XML_SetCharacterDataHandler(p, [](void* d, const XML_Char* t, int len) {
        static_cast<State*>(d)->text.append(t, static_cast<std::size_t>(len));
    });
    st.out.well_formed = XML_Parse(p, xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_OK;
    XML_ParserFree(p);
    return st.out;
}

}  // namespace

TEST_CASE("the page links every format and shows the fingerprint") {
    std::string error;
    const auto info = eas::certs::describe_cert(test_ca(), error);
    REQUIRE(info);
    const auto page = ca_page("/", test_ca(), "/ca/");
    REQUIRE(page);
    CHECK(page->content_type == "text/html; charset=utf-8");
    for (const char* link :
         {"/ca/easproxy-ca.mobileconfig", "/ca/easproxy-ca.crt", "/ca/easproxy-ca.pem"})
        CHECK_THAT(page->body, Catch::Contains(link));
    CHECK_THAT(page->body, Catch::Contains(info->sha256));
    CHECK_FALSE(ca_page("/other", test_ca()));
}

TEST_CASE("the .crt is the CA in DER and the .pem the CA itself") {
    std::string error;
    const auto der = eas::certs::pem_to_der(test_ca(), error);
    REQUIRE(der);
    const auto crt = ca_page("/easproxy-ca.crt", test_ca());
    REQUIRE(crt);
    CHECK(crt->body == *der);
    CHECK(crt->content_type == "application/x-x509-ca-cert");
    CHECK(ca_page("/easproxy-ca.pem?x=1", test_ca())->body == test_ca());
}

TEST_CASE("the iOS profile is a well-formed plist installing the CA as a root") {
    const auto mc = ca_page("/easproxy-ca.mobileconfig", test_ca());
    REQUIRE(mc);
    CHECK(mc->content_type == "application/x-apple-aspen-config");
    const auto plist = parse_plist(mc->body);
    REQUIRE(plist.well_formed);
    std::map<std::string, std::vector<std::string>> by_key;
    for (const auto& [k, v] : plist.values) by_key[k].push_back(v);
    REQUIRE(by_key["PayloadType"].size() == 2);
    CHECK(by_key["PayloadType"][0] == "com.apple.security.root");
    CHECK(by_key["PayloadType"][1] == "Configuration");
    // Two payloads, two different UUIDs, stable for the same CA.
    REQUIRE(by_key["PayloadUUID"].size() == 2);
    CHECK(by_key["PayloadUUID"][0] != by_key["PayloadUUID"][1]);
    CHECK(ca_page("/easproxy-ca.mobileconfig", test_ca())->body == mc->body);
    std::string data;
    for (const char c : by_key["PayloadContent"].at(0))
        if (c != '\n' && c != '\t' && c != ' ') data += c;
    std::string error;
    CHECK(eas::base64_decode(data) == eas::certs::pem_to_der(test_ca(), error));
}
