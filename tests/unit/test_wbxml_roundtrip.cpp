// decode(encode(x)) == x over the whole corpus, in every direction the tools use.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "test_support.hpp"
#include "wbxml_codepages.hpp"
#include "wbxml_decoder.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_xml_reader.hpp"
#include "wbxml_xml_writer.hpp"

using namespace eas::wbxml;

TEST_CASE("corpus: decode(encode(xml)) == read(xml), and re-encoding is byte-identical") {
    const auto& docs = eas::test::corpus();
    REQUIRE(docs.size() >= 20);
    for (const auto& doc : docs) {
        INFO(doc.path.filename().string());
        const auto read = read_xml(doc.xml);
        REQUIRE(read.ok());
        const auto decoded = decode(doc.wbxml);
        REQUIRE(decoded.ok());
        CHECK(decoded.document == read.document);
        // WBXML -> XML -> WBXML reproduces the bytes exactly.
        const auto xml = to_xml(decoded.document);
        const auto reencoded = encode_xml(xml);
        REQUIRE(reencoded.ok());
        CHECK(reencoded.bytes == doc.wbxml);
        // XML -> Document -> XML is stable (a second pass changes nothing).
        const auto reread = read_xml(xml);
        REQUIRE(reread.ok());
        CHECK(to_xml(reread.document) == xml);
        CHECK(doc.wbxml.substr(0, 4) == std::string("\x03\x01\x6A\x00", 4));
    }
}

TEST_CASE("corpus uses every token of code pages 0-25") {
    std::set<std::pair<int, int>> used;
    for (const auto& doc : eas::test::corpus()) {
        const auto d = decode(doc.wbxml).document;
        for (std::uint32_t i = 0; i < d.node_count(); ++i) {
            const Node& n = d.node(i);
            if (n.kind == NodeKind::Element && !n.literal) used.emplace(n.page, n.token);
        }
    }
    std::vector<std::string> missing;
    for (auto t = all_tokens_begin(); t != all_tokens_end(); ++t) {
        if (!used.count({t->page, t->token}))
            missing.push_back(std::string(page_name(t->page)) + ":" + std::string(t->name));
    }
    INFO("tokens never used by the corpus: " << missing.size());
    for (const auto& m : missing) UNSCOPED_INFO(m);
    CHECK(missing.empty());
}

TEST_CASE("special WBXML constructs survive XML and back") {
    static const char raw[] =
        "\x03\x01\x6A\x08"
        "foo\0bar\0"
        "\xC4\x00\x05\x03v\0\x85\x01"  // LITERAL_AC foo, attr 0x05 "v" {0x85}
        "\x40"
        "e\0"
        "\x81\x05"
        "\xC2"  // EXT_I_0, EXT_T_1 5, EXT_2
        "\x41"
        "e\x03"
        "0\0"                               // EXT_I_1 with a control byte (fuzz find)
        "\x43\x06\x01"                      // PI
        "\x00\x1E\x47\x03\x01\x02\x00\x01"  // page 30 token 0x07, text with control bytes
        "\x00\x00\x4B\x03x\0\xC3\x02\x00\xFF\x03y\0\x01"  // SyncKey: mixed text/opaque
        "\x01";
    const std::string wire(raw, sizeof raw - 1);
    const auto decoded = decode(wire);
    REQUIRE(decoded.ok());
    const auto xml = to_xml(decoded.document);
    INFO(xml);
    const auto reread = read_xml(xml);
    REQUIRE(reread.ok());
    CHECK(reread.document == decoded.document);
    const auto reencoded = encode(reread.document);
    REQUIRE(reencoded.ok());
    CHECK(decode(reencoded.bytes).document == decoded.document);
    CHECK(xml.find(R"(<Token0x07 xmlns="CodePage30:" encoding="base64">AQI=</Token0x07>)") !=
          std::string::npos);
    CHECK(
        xml.find(
            R"(<SyncKey xmlns="AirSync:">x<opaque xmlns="WBXML:" opaque="base64">AP8=</opaque>y</SyncKey>)") !=
        std::string::npos);
}

TEST_CASE("processing instructions outside the root survive XML and back (fuzz finding)") {
    // PI (attr 0x06 "v" END) before the root, empty Sync, PI (attr 0x07 END) after it
    static const char raw[] =
        "\x03\x01\x6A\x00"
        "\x43\x06\x03v\0\x01"
        "\x05"
        "\x43\x07\x01";
    const auto decoded = decode(std::string_view(raw, sizeof raw - 1));
    REQUIRE(decoded.ok());
    const auto xml = to_xml(decoded.document);
    CHECK_THAT(xml,
               Catch::Contains(R"(<?wbxml-pi <attribute page="0" token="0x06">v</attribute>?>)"));
    const auto back = read_xml(xml);
    REQUIRE(back.ok());
    CHECK(back.document == decoded.document);
    const auto encoded = encode(back.document);
    REQUIRE(encoded.ok());
    CHECK(encoded.bytes == std::string(raw, sizeof raw - 1));
}

TEST_CASE("a LITERAL naming the empty string survives XML and back (fuzz finding)") {
    static const char raw[] =
        "\x03\x01\x6A\x01"
        "\0"
        "\x45\x04\x00\x01";  // Sync > LITERAL ""
    const auto decoded = decode(std::string_view(raw, sizeof raw - 1));
    REQUIRE(decoded.ok());
    const auto back = read_xml(to_xml(decoded.document));
    REQUIRE(back.ok());
    CHECK(back.document == decoded.document);
}

TEST_CASE("XML input in MS-ASCMD style: prefixes, bare names, colon-less namespaces") {
    const char* prefixed = R"(<?xml version="1.0" encoding="utf-8"?>
<Sync xmlns="AirSync:" xmlns:airsyncbase="AirSyncBase:">
  <Collections><Collection><SyncKey>0</SyncKey><CollectionId>1</CollectionId>
    <Options><airsyncbase:BodyPreference><airsyncbase:Type>2</airsyncbase:Type></airsyncbase:BodyPreference></Options>
  </Collection></Collections>
</Sync>)";
    const char* bare =
        R"(<Sync><Collections><Collection><SyncKey>0</SyncKey><CollectionId>1</CollectionId>
    <Options><BodyPreference xmlns="AirSyncBase"><Type>2</Type></BodyPreference></Options>
  </Collection></Collections></Sync>)";
    const auto a = encode_xml(prefixed);
    const auto b = encode_xml(bare);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a.bytes == b.bytes);
}

TEST_CASE("XML input errors name the place") {
    auto e = encode_xml("<Sync xmlns=\"AirSync:\"><Bogus/></Sync>");
    REQUIRE_FALSE(e.ok());
    CHECK_THAT(e.error->reason,
               Catch::Contains("<Bogus> is not defined in namespace \"AirSync:\""));
    CHECK(e.error->offset == 23);
    e = encode_xml("<Sync xmlns=\"Nope:\"/>");
    CHECK_THAT(e.error->reason, Catch::Contains("not an ActiveSync code page"));
    e = encode_xml("<Sync xmlns=\"AirSync:\"><SyncKey>1</Sync>");
    CHECK_THAT(e.error->reason, Catch::Contains("not well-formed"));
    e = encode_xml("<Sync xmlns=\"AirSync:\"><SyncKey opaque=\"base64\">!!</SyncKey></Sync>");
    CHECK_THAT(e.error->reason, Catch::Contains("base64"));
    e = encode_xml("<!DOCTYPE x [<!ENTITY a \"b\">]><Sync xmlns=\"AirSync:\">&a;</Sync>");
    REQUIRE_FALSE(e.ok());
    CHECK_THAT(e.error->reason, Catch::Contains("DOCTYPE"));
    e = encode_xml("<?wbxml version=\"1.08\"?><Sync xmlns=\"AirSync:\"/>");  // fuzz finding
    REQUIRE_FALSE(e.ok());
    CHECK_THAT(e.error->reason, Catch::Contains("not 1.0-1.3"));
    e = encode_xml("<Body/>");  // bare name, not on page 0, defined on several pages
    REQUIRE_FALSE(e.ok());
    CHECK_THAT(e.error->reason, Catch::Contains("several code pages"));
}
