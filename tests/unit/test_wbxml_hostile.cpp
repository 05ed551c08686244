// Hostile and broken input: every case ends in a clear error, never a crash, hang or blow-up.
#include <catch2/catch.hpp>

#include <random>

#include "test_support.hpp"
#include "wbxml_decoder.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_json_writer.hpp"
#include "wbxml_xml_reader.hpp"
#include "wbxml_xml_writer.hpp"

using namespace eas::wbxml;

namespace {
const std::string kHeader("\x03\x01\x6A\x00", 4);
}

TEST_CASE("a document truncated at every byte offset gives an error and keeps a prefix") {
    std::size_t checked = 0;
    for (const auto& doc : eas::test::corpus()) {
        if (doc.wbxml.size() > 6000)
            continue;  // quadratic: the small documents cover every token kind
        INFO(doc.path.filename().string());
        const auto full = decode(doc.wbxml);
        REQUIRE(full.ok());
        for (std::size_t cut = 0; cut < doc.wbxml.size(); ++cut) {
            const auto r = decode(std::string_view(doc.wbxml).substr(0, cut));
            REQUIRE_FALSE(r.ok());
            REQUIRE(r.error->offset <= cut);
            REQUIRE(r.document.node_count() <= full.document.node_count());
            // What was decoded still renders.
            (void)to_xml(r.document);
            ++checked;
        }
    }
    CHECK(checked > 10000);
}

TEST_CASE("unknown code page is kept") {
    const auto r = decode(kHeader + std::string("\x00\xC8\x45\x01", 4));
    REQUIRE(r.ok());
    CHECK(r.document.node(r.document.root_element()).page == 200);
    CHECK(to_xml(r.document).find("xmlns=\"CodePage200:\"") != std::string::npos);
}

TEST_CASE("oversized and overflowing mb_u_int32") {
    // OPAQUE length of 6 bytes
    auto r = decode(kHeader + std::string("\x45\xC3\x81\x81\x81\x81\x81\x01", 8));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->offset == 6);
    CHECK_THAT(r.error->reason, Catch::Contains("longer than 5 bytes"));
    // 5 bytes, value > 2^32-1
    r = decode(kHeader + std::string("\x45\xC3\x90\x80\x80\x80\x00", 7));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error->reason, Catch::Contains("exceeds 32 bits"));
    // 2^32-1 opaque length: a valid number, but no such bytes follow; nothing is allocated for it
    r = decode(kHeader + std::string("\x45\xC3\x8F\xFF\xFF\xFF\x7F", 7));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error->reason, Catch::Contains("opaque data of 4294967295 bytes exceeds"));
    // string table length larger than the input
    r = decode(std::string("\x03\x01\x6A\x8F\xFF\xFF\xFF\x7F", 8));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error->reason, Catch::Contains("string table"));
}

TEST_CASE("100 000 nested elements stop at the depth limit") {
    std::string wire = kHeader;
    wire.append(100000, '\x45');
    const auto r = decode(wire);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error->reason, Catch::Contains("nested deeper than 256"));
    CHECK(r.error->offset == 4 + 256);
    CHECK(r.document.node_count() == 257);
    CHECK_FALSE(to_xml(r.document).empty());
    CHECK(to_json(r.document).dump().size() > 1000);
    // Same for XML input.
    std::string xml;
    for (int i = 0; i < 100000; ++i) xml += "<Sync xmlns=\"AirSync:\">";
    const auto x = read_xml(xml);
    REQUIRE_FALSE(x.ok());
    CHECK_THAT(x.error->reason, Catch::Contains("nested deeper"));
}

TEST_CASE("the node limit bounds memory") {
    std::string wire = kHeader + "\x45";
    wire.append(50000, '\x0B');  // empty SyncKey elements
    DecodeLimits limits;
    limits.max_nodes = 1000;
    const auto r = decode(wire, limits);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error->reason, Catch::Contains("more than 1000 nodes"));
    CHECK(r.document.node_count() == 1000);
}

TEST_CASE("string table references out of range") {
    auto r =
        decode(std::string("\x03\x01\x6A\x02"
                           "a\0"
                           "\x45\x83\x05\x01",
                           10));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error->reason, Catch::Contains("string table reference 5 is outside"));
    CHECK(r.error->offset == 7);
    r =
        decode(std::string("\x03\x01\x6A\x02"
                           "ab"
                           "\x45\x83\x00\x01",
                           10));  // no NUL in table
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error->reason, Catch::Contains("no terminating NUL"));
    r = decode(std::string("\x03\x01\x6A\x00\x04\x09\x01", 7));  // LITERAL with empty table
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error->reason, Catch::Contains("outside the string table"));
}

TEST_CASE("structural errors") {
    auto r = decode(std::string("\x04\x01\x6A\x00\x45\x01", 6));
    CHECK_THAT(r.error->reason, Catch::Contains("not WBXML"));
    r = decode(kHeader + std::string("\x45\x01\x45\x01", 4));
    CHECK_THAT(r.error->reason, Catch::Contains("after the root element"));
    r = decode(kHeader + std::string("\x01", 1));
    CHECK_THAT(r.error->reason, Catch::Contains("expected the root element"));
    r = decode(kHeader);
    CHECK_THAT(r.error->reason, Catch::Contains("no root element"));
    r = decode(kHeader + std::string("\x45\x02\x8F\xFF\xFF\xFF\x7F\x01", 8));
    CHECK_THAT(r.error->reason, Catch::Contains("not a Unicode scalar value"));
    r = decode(kHeader + std::string("\xC5\x44\x01\x01", 4));  // LITERAL_C as attribute start
    CHECK_THAT(r.error->reason, Catch::Contains("in an attribute list"));
}

TEST_CASE("random bytes after a valid header never crash the decoder or writers") {
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> byte(0, 255), len(0, 200);
    int ok = 0, failed = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string wire = kHeader;
        const int n = len(rng);
        for (int k = 0; k < n; ++k) wire.push_back(static_cast<char>(byte(rng)));
        const auto r = decode(wire);
        (r.ok() ? ok : failed)++;
        if (r.error) REQUIRE(r.error->offset <= wire.size());
        const auto xml = to_xml(r.document);
        (void)to_json(r.document).dump();
        if (r.ok()) {
            // Every fully decoded document survives XML and back.
            const auto back = read_xml(xml);
            REQUIRE(back.ok());
            CHECK(back.document == r.document);
        }
    }
    CHECK(failed > 0);
}
