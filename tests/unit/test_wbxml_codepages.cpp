#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "wbxml_codepages.hpp"

using namespace eas::wbxml;

TEST_CASE("the compiled code page table matches the TSV token for token") {
    std::ifstream in(EASPROXY_CODEPAGES_TSV);
    REQUIRE(in);
    std::string line;
    std::getline(in, line);  // header
    const TokenInfo* t = all_tokens_begin();
    int rows = 0;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::istringstream fields(line);
        std::string page, ns, token, tag, version;
        std::getline(fields, page, '\t');
        std::getline(fields, ns, '\t');
        std::getline(fields, token, '\t');
        std::getline(fields, tag, '\t');
        std::getline(fields, version, '\t');
        REQUIRE(t != all_tokens_end());
        INFO(line);
        CHECK(int(t->page) == std::stoi(page));
        CHECK(int(t->token) == std::stoi(token, nullptr, 16));
        CHECK(t->name == tag);
        CHECK(t->first_version == version);
        CHECK(page_name(t->page) == ns);
        CHECK(tag_name(t->page, t->token) == tag);
        ++t;
        ++rows;
    }
    CHECK(t == all_tokens_end());
    CHECK(rows == 654);
}

TEST_CASE("lookups by name and namespace") {
    CHECK(page_by_namespace("AirSync:") == 0);
    CHECK(page_by_namespace("Find") == 25);
    CHECK(page_by_namespace("email2:") == 22);
    CHECK_FALSE(page_by_namespace("Nope:").has_value());
    CHECK(token_by_name(0, "Sync") == 0x05);
    CHECK(token_by_name(18, "SmtpAddress") == token_by_name(18, "SMTPAddress"));
    CHECK_FALSE(token_by_name(0, "Subject").has_value());
    CHECK(tag_name(25, 0x20) == "MaxPictures");
    CHECK(tag_name(25, 0x1A).empty());  // gap in the Find page
    CHECK(tag_name(40, 0x05).empty());
    CHECK(page_namespace(24) == "RightsManagement:");
    CHECK(token_info(14, 0x3B) != nullptr);
    CHECK(token_info(14, 0x3B)->first_version == "16.1");
}
