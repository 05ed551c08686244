#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "multipart.hpp"

using eas::build_multipart;
using eas::looks_like_multipart;
using eas::parse_multipart;

namespace {

std::string le32(std::uint32_t v) {
    std::string s;
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return s;
}

// A table written by hand, then `data` appended: for layouts build_multipart never makes.
std::string raw_multipart(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& table,
                          std::string_view data, std::uint32_t count_override = 0) {
    std::string s =
        le32(count_override != 0 ? count_override : static_cast<std::uint32_t>(table.size()));
    for (auto [offset, length] : table) s += le32(offset) + le32(length);
    s += data;
    return s;
}

const std::string kWbxml(
    "\x03\x01\x6A\x00\x45\x5C\x4F\x4B\x03"
    "1\x00\x01\x01\x01",
    14);

bool parts_inside(const eas::MultipartResult& r, std::string_view body) {
    for (const auto& p : r.parts) {
        if (std::uint64_t{p.offset} + p.length > body.size()) return false;
        if (p.data.size() != p.length) return false;
        if (p.length != 0 && p.data.data() != body.data() + p.offset) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("build and parse round trip", "[multipart]") {
    const std::string attachment = "%PDF-1.4 pretend this is a large attachment";
    const std::vector<std::string_view> in = {kWbxml, attachment, "", "x"};
    const std::string body = build_multipart(in);
    REQUIRE(body.size() == 4 + 8 * 4 + kWbxml.size() + attachment.size() + 1);

    auto r = parse_multipart(body);
    REQUIRE(r.ok());
    CHECK(r.declared_count == 4);
    CHECK(r.warnings.empty());
    REQUIRE(r.parts.size() == 4);
    CHECK(r.parts[0].offset == 36);
    CHECK(r.parts[0].length == kWbxml.size());
    for (std::size_t i = 0; i < in.size(); ++i) CHECK(r.parts[i].data == in[i]);
    // Views into the body, not copies.
    CHECK(r.parts[1].data.data() == body.data() + r.parts[1].offset);
    CHECK(looks_like_multipart(body));
}

TEST_CASE("build_multipart writes the documented little-endian layout", "[multipart]") {
    const std::string body = build_multipart({"ab", "c"});
    const std::string expected = le32(2) + le32(20) + le32(2) + le32(22) + le32(1) + "abc";
    CHECK(body == expected);
    CHECK(body.substr(0, 8) == std::string("\x02\x00\x00\x00\x14\x00\x00\x00", 8));

    CHECK(build_multipart({}) == le32(0));
}

TEST_CASE("bodies too short for the part count", "[multipart]") {
    for (std::size_t n = 0; n < 4; ++n) {
        auto r = parse_multipart(std::string(n, '\x01'));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error->offset == 0);
        CHECK(r.error->reason.find("too short") != std::string::npos);
        CHECK(r.parts.empty());
    }
}

TEST_CASE("zero parts is an error", "[multipart]") {
    auto r = parse_multipart(le32(0) + "junk");
    REQUIRE_FALSE(r.ok());
    CHECK(r.declared_count == 0);
    CHECK(r.error->reason.find("0 parts") != std::string::npos);
    CHECK_FALSE(looks_like_multipart(le32(0) + "junk-junk-junk"));
}

TEST_CASE("hostile part counts do not wrap or allocate", "[multipart]") {
    SECTION("0xFFFFFFFF parts") {
        const std::string body = le32(0xFFFFFFFFu) + le32(12) + le32(4) + "data";
        auto r = parse_multipart(body);
        REQUIRE_FALSE(r.ok());
        CHECK(r.declared_count == 0xFFFFFFFFu);
        CHECK(r.parts.empty());
        CHECK(r.parts.capacity() == 0);
        CHECK(r.error->offset == 0);
        // 4 + 8 * 0xFFFFFFFF, computed without wrapping.
        CHECK(r.error->reason.find("34359738364-byte part table") != std::string::npos);
        CHECK(r.error->reason.find("16-byte body") != std::string::npos);
        CHECK_FALSE(looks_like_multipart(body));
    }
    SECTION("8N wraps to zero in 32 bits") {
        // 0x20000000 * 8 == 2^32: a 32-bit table size would be 4 and "fit".
        const std::string body = le32(0x20000000u) + le32(12) + le32(4) + "data";
        auto r = parse_multipart(body);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error->reason.find("4294967300-byte part table") != std::string::npos);
        CHECK_FALSE(looks_like_multipart(body));
    }
    SECTION("one part more than the table has room for") {
        const std::string body = raw_multipart({{12, 4}}, "data", 3);
        auto r = parse_multipart(body);
        REQUIRE_FALSE(r.ok());
        CHECK(r.declared_count == 3);
        CHECK(r.error->reason.find("28-byte part table") != std::string::npos);
    }
}

TEST_CASE("offset plus length wrapping 32 bits is caught", "[multipart]") {
    // 0xFFFFFFF0 + 0x20 == 0x10 in uint32: looks in range if summed in 32 bits.
    const std::string body = raw_multipart({{20, 4}, {0xFFFFFFF0u, 0x20}}, "WBXMLxxxxxxx");
    auto r = parse_multipart(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->offset == 12);  // table entry of part 1
    CHECK(r.error->reason.find("part 1 (offset 4294967280, length 32") != std::string::npos);
    CHECK(r.error->reason.find("ends at byte 4294967312") != std::string::npos);
    REQUIRE(r.parts.size() == 1);  // part 0 kept
    CHECK(r.parts[0].data == "WBXM");
    CHECK_FALSE(looks_like_multipart(body));

    const std::string len_wrap = raw_multipart({{12, 0xFFFFFFFFu}}, "abcd");
    auto w = parse_multipart(len_wrap);
    REQUIRE_FALSE(w.ok());
    CHECK(w.error->reason.find("part 0") != std::string::npos);
    CHECK(w.parts.empty());
}

TEST_CASE("a part past the end names the part and keeps the earlier ones", "[multipart]") {
    // A capture cut off in the middle of the attachment.
    std::string body = build_multipart({kWbxml, "attachment bytes", "more"});
    body.resize(body.size() - 10);
    auto r = parse_multipart(body);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.parts.size() == 1);
    CHECK(r.parts[0].data == kWbxml);
    CHECK(r.error->offset == 12);
    CHECK(r.error->reason.rfind("part 1 ", 0) == 0);
    CHECK(r.error->reason.find("past the end of the " + std::to_string(body.size()) +
                               "-byte body") != std::string::npos);
    // No "bytes belong to no part" warning for a table that was not read to the end.
    CHECK(r.warnings.empty());
}

TEST_CASE("a part inside the table is an error; an empty one is not", "[multipart]") {
    auto in_table = parse_multipart(raw_multipart({{20, 4}, {4, 8}}, "WBXM"));
    REQUIRE_FALSE(in_table.ok());
    CHECK(in_table.error->offset == 12);
    CHECK(in_table.error->reason.find("starts inside the 20-byte part table") != std::string::npos);

    const std::string body = raw_multipart({{28, 4}, {0, 0}, {32, 0}}, "WBXM");
    auto empty = parse_multipart(body);
    REQUIRE(empty.ok());
    REQUIRE(empty.parts.size() == 3);
    CHECK(empty.parts[1].data.empty());
    CHECK(empty.parts[2].data.empty());
    CHECK(empty.warnings.empty());
}

TEST_CASE("overlapping parts are decoded and flagged", "[multipart]") {
    const std::string body = raw_multipart({{28, 6}, {30, 4}, {28, 2}}, "ABCDEF");
    auto r = parse_multipart(body);
    REQUIRE(r.ok());
    REQUIRE(r.parts.size() == 3);
    CHECK(r.parts[0].data == "ABCDEF");
    CHECK(r.parts[1].data == "CDEF");
    CHECK(r.parts[2].data == "AB");
    REQUIRE(r.warnings.size() == 2);
    CHECK(r.warnings[0] == "parts 0 and 2 overlap (bytes 28 to 29)");
    CHECK(r.warnings[1] == "parts 0 and 1 overlap (bytes 30 to 33)");
    CHECK(looks_like_multipart(body));

    // Thousands of overlaps give a handful of lines.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> table(1000);
    const std::uint32_t data_at = 4 + 8 * 1000;
    for (auto& e : table) e = {data_at, 3};
    auto many = parse_multipart(raw_multipart(table, "xyz"));
    REQUIRE(many.ok());
    CHECK(many.parts.size() == 1000);
    REQUIRE(many.warnings.size() == 9);
    CHECK(many.warnings.back() == "... and 991 more overlapping parts");
}

TEST_CASE("bytes no part covers are flagged", "[multipart]") {
    // Part 0 = "AB", a 2-byte gap, part 1 = "EF", 1 trailing byte.
    auto r = parse_multipart(raw_multipart({{20, 2}, {24, 2}}, "ABCDEFG"));
    REQUIRE(r.ok());
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] == "3 bytes after the part table belong to no part");
}

TEST_CASE("looks_like_multipart tells multipart from WBXML and XML", "[multipart]") {
    CHECK(looks_like_multipart(build_multipart({kWbxml})));
    CHECK(looks_like_multipart(build_multipart({kWbxml, "a", "b"})));
    CHECK_FALSE(looks_like_multipart(kWbxml));
    CHECK_FALSE(looks_like_multipart("<?xml version=\"1.0\"?><Autodiscover/>"));
    CHECK_FALSE(looks_like_multipart(""));
    CHECK_FALSE(looks_like_multipart(build_multipart({""})));  // empty part 0
    // Consistent table whose first part does not start right after it.
    CHECK_FALSE(looks_like_multipart(raw_multipart({{13, 2}}, "_AB")));
    CHECK(parse_multipart(raw_multipart({{13, 2}}, "_AB")).ok());
    // Second part runs past the end.
    CHECK_FALSE(looks_like_multipart(raw_multipart({{20, 2}, {22, 9}}, "ABCD")));
}

TEST_CASE("every table mutation keeps parts inside the body", "[multipart]") {
    const std::string good = build_multipart({kWbxml, "attachment", "z"});
    const std::size_t table = 4 + 8 * 3;
    for (std::size_t at = 0; at < table; ++at) {
        for (int v : {0x00, 0x01, 0x7F, 0x80, 0xFF}) {
            std::string body = good;
            body[at] = static_cast<char>(v);
            auto r = parse_multipart(body);
            INFO("byte " << at << " = " << v);
            CHECK(parts_inside(r, body));
            if (!r.ok()) {
                CHECK(r.error->offset < body.size());
                CHECK_FALSE(r.error->reason.empty());
            }
            if (looks_like_multipart(body)) CHECK(r.ok());
        }
    }
}

TEST_CASE("random bodies never crash", "[multipart]") {
    std::mt19937 rng(12345);
    for (int iter = 0; iter < 2000; ++iter) {
        std::string body(rng() % 64, '\0');
        for (char& c : body) c = static_cast<char>(rng() & 0xFF);
        // Small counts make it past the table check often enough to exercise the part checks.
        if (body.size() >= 4 && iter % 2 == 0) body[1] = body[2] = body[3] = 0, body[0] &= 7;
        auto r = parse_multipart(body);
        CHECK(parts_inside(r, body));
        if (looks_like_multipart(body)) CHECK(r.ok());
    }
}
