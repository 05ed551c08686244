#include <catch2/catch.hpp>

#include "base64.hpp"

using namespace eas;

TEST_CASE("base64 round trip over all lengths and byte values") {
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        const auto enc = base64_encode(bytes);
        CHECK(enc.size() == (bytes.size() + 2) / 3 * 4);
        const auto dec = base64_decode(enc);
        REQUIRE(dec);
        CHECK(*dec == bytes);
        bytes.push_back(static_cast<char>((i * 37) & 0xFF));
    }
}

TEST_CASE("base64 accepts what people paste") {
    CHECK(base64_decode("aGVs\nbG8=") == std::string("hello"));
    CHECK(base64_decode("aGVsbG8") == std::string("hello"));    // padding optional
    CHECK(base64_decode("-_8") == std::string("\xFB\xFF", 2));  // URL-safe alphabet
    CHECK(base64_decode("") == std::string());
}

TEST_CASE("base64 errors name the offset") {
    Base64Error e;
    CHECK_FALSE(base64_decode("aGV*bG8=", &e));
    CHECK(e.offset == 3);
    CHECK_THAT(e.reason, Catch::Contains("'*'"));
    CHECK_FALSE(base64_decode("aG==bG8=", &e));
    CHECK_THAT(e.reason, Catch::Contains("after '=' padding"));
    CHECK_FALSE(base64_decode("a", &e));
    CHECK_THAT(e.reason, Catch::Contains("lone character"));
}

TEST_CASE("hex in the forms engineers paste") {
    CHECK(hex_decode("03016a00") == std::string("\x03\x01\x6A\x00", 4));
    CHECK(hex_decode("03 01 6A 00") == std::string("\x03\x01\x6A\x00", 4));
    CHECK(hex_decode("03:01:6a:00\n") == std::string("\x03\x01\x6A\x00", 4));
    CHECK(hex_decode("0x03, 0x01, 0x6A, 0x00") == std::string("\x03\x01\x6A\x00", 4));
    CHECK(hex_decode("# a Ping response\n03 01 # header\n6a 00") ==
          std::string("\x03\x01\x6A\x00", 4));
    Base64Error e;
    CHECK_FALSE(hex_decode("03 0g", &e));
    CHECK(e.offset == 4);
    CHECK_FALSE(hex_decode("030", &e));
    CHECK_THAT(e.reason, Catch::Contains("odd number"));
    CHECK(hex_encode(std::string("\x00\xFF", 2)) == "00ff");
}
