#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "wbxml_decoder.hpp"
#include "wbxml_json_writer.hpp"
#include "wbxml_xml_writer.hpp"

using namespace eas::wbxml;
using namespace std::string_literals;

namespace {

std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s.push_back(static_cast<char>(b));
    return s;
}

const std::string kEasHeader = bytes({0x03, 0x01, 0x6A, 0x00});

XmlWriteOptions compact() {
    XmlWriteOptions o;
    o.declaration = false;
    o.indent = false;
    return o;
}

std::string compact_xml(const Document& d) {
    return to_xml(d, compact());
}

}  // namespace

TEST_CASE("decodes a FolderSync request with page switches and text") {
    // FolderSync (page 7, 0x16) > SyncKey (0x12) "0"
    const auto wire =
        kEasHeader + bytes({0x00, 0x07, 0x56, 0x52, 0x03}) + "0"s + bytes({0x00, 0x01, 0x01});
    const auto r = decode(wire);
    REQUIRE(r.ok());
    CHECK(compact_xml(r.document) ==
          R"(<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>)");
    const auto root = r.document.root_element();
    REQUIRE(root != kNoNode);
    CHECK(r.document.node(root).page == 7);
    CHECK(text_of(r.document, find_child(r.document, root, 7, 0x12)) == "0");
}

TEST_CASE("each element is in its code page's namespace and the page switch is stateful") {
    // Sync > Collections > Collection > ApplicationData > (Email) Subject "Hi" ; (AirSync) Class
    const auto wire =
        kEasHeader + bytes({0x45, 0x5C, 0x4F, 0x5D, 0x00, 0x02, 0x54, 0x03, 'H',  'i',  0x00, 0x01,
                            0x01, 0x00, 0x00, 0x50, 0x03, 'E',  0x00, 0x01, 0x01, 0x01, 0x01});
    const auto r = decode(wire);
    REQUIRE(r.ok());
    CHECK(
        compact_xml(r.document) ==
        R"(<Sync xmlns="AirSync:"><Collections><Collection><ApplicationData><Subject xmlns="Email:">Hi</Subject></ApplicationData><Class>E</Class></Collection></Collections></Sync>)");
}

TEST_CASE("pretty XML indents element content but never text") {
    const auto wire =
        kEasHeader + bytes({0x00, 0x07, 0x56, 0x52, 0x03, ' ', 'a', ' ', 0x00, 0x01, 0x01});
    const auto r = decode(wire);
    REQUIRE(r.ok());
    CHECK(to_xml(r.document) ==
          "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<FolderSync xmlns=\"FolderHierarchy:\">\n  "
          "<SyncKey> a </SyncKey>\n</FolderSync>\n");
}

TEST_CASE("OPAQUE bytes are kept exact and shown as base64 in an element marked opaque") {
    std::string payload;
    for (int i = 0; i < 300; ++i) payload.push_back(static_cast<char>(i & 0xFF));  // NULs, 0xFF...
    // ComposeMail (21) SendMail 0x05 > Mime 0x10 OPAQUE len 300 = mb 0x82 0x2C
    const auto wire = kEasHeader + bytes({0x00, 0x15, 0x45, 0x50, 0xC3, 0x82, 0x2C}) + payload +
                      bytes({0x01, 0x01});
    const auto r = decode(wire);
    REQUIRE(r.ok());
    const auto mime = find_child(r.document, r.document.root_element(), 21, 0x10);
    REQUIRE(mime != kNoNode);
    const Node& opaque = r.document.node(r.document.node(mime).first_child);
    CHECK(opaque.kind == NodeKind::Opaque);
    CHECK(r.document.data(opaque) == payload);
    const auto xml = compact_xml(r.document);
    CHECK(xml.find(R"(<Mime opaque="base64">AAECAwQF)") != std::string::npos);
    const auto json = to_json(r.document);
    CHECK(json["root"]["children"][0]["opaque"].get<std::string>().substr(0, 8) == "AAECAwQF");
}

TEST_CASE("unknown tokens and pages are kept as page N / token 0xNN, never renamed or dropped") {
    // AirSync 0x3E (undefined) empty; page 30 token 0x07 with text
    const auto wire =
        kEasHeader + bytes({0x45, 0x3E, 0x00, 0x1E, 0x47, 0x03, 'x', 0x00, 0x01, 0x01});
    const auto r = decode(wire);
    REQUIRE(r.ok());
    CHECK(
        compact_xml(r.document) ==
        R"(<Sync xmlns="AirSync:"><Token0x3E/><Token0x07 xmlns="CodePage30:">x</Token0x07></Sync>)");
    const auto& d = r.document;
    const Node& unknown_page = d.node(d.node(d.root_element()).last_child);
    CHECK(unknown_page.page == 30);
    CHECK(unknown_page.token == 0x07);
    const auto json = to_json(d);
    CHECK(json["root"]["children"][1]["page"] == 30);
    CHECK(json["root"]["children"][1]["unknown"] == true);
}

TEST_CASE("ENTITY and STR_T contribute text; adjacent text merges") {
    // string table: "abc\0" ; SyncKey content: STR_I "x", ENTITY 0xE9 (é), STR_T 0
    const auto wire = bytes({0x03, 0x01, 0x6A, 0x04, 'a',  'b',  'c',  0x00, 0x00, 0x07, 0x56,
                             0x52, 0x03, 'x',  0x00, 0x02, 0x81, 0x69, 0x83, 0x00, 0x01, 0x01});
    const auto r = decode(wire);
    REQUIRE(r.ok());
    const auto key = find_child(r.document, r.document.root_element(), 7, 0x12);
    CHECK(text_of(r.document, key) ==
          "x\xC3\xA9"
          "abc");
    CHECK(r.document.node(key).first_child == r.document.node(key).last_child);
}

TEST_CASE("LITERAL tags, attributes, EXT tokens and PI are decoded, not rejected") {
    // string table "foo\0bar\0"; root LITERAL_AC (0xC4) name idx 0, attrs: start 0x05, STR_I "v",
    // value token 0x85, END; content: EXT_I_0 "e", EXT_T_1 5, EXT_2, PI(attr 0x06 END), END
    const auto wire = bytes({0x03, 0x01, 0x6A, 0x08, 'f',  'o',  'o',  0,    'b',  'a',
                             'r',  0,    0xC4, 0x00, 0x05, 0x03, 'v',  0x00, 0x85, 0x01,
                             0x40, 'e',  0x00, 0x81, 0x05, 0xC2, 0x43, 0x06, 0x01, 0x01});
    const auto r = decode(wire);
    REQUIRE(r.ok());
    const auto& d = r.document;
    const Node& root = d.node(d.root_element());
    CHECK(root.literal);
    CHECK(d.data(root) == "foo");
    std::vector<NodeKind> kinds;
    for (auto c : children(d, d.root_element())) kinds.push_back(d.node(c).kind);
    CHECK(kinds == std::vector<NodeKind>{NodeKind::Attribute, NodeKind::Extension,
                                         NodeKind::Extension, NodeKind::Extension,
                                         NodeKind::ProcessingInstruction});
    const Node& ext_t = d.node(d.node(d.node(root.first_child).next_sibling).next_sibling);
    CHECK(ext_t.token == 0x81);
    CHECK(ext_t.number == 5);
    const auto xml = compact_xml(d);
    CHECK(
        xml.find(
            R"(<literal xmlns="WBXML:" name="foo"><attribute page="0" token="0x05">v<value page="0" token="0x85"/></attribute>)") ==
        0);
    CHECK(xml.find(R"(<ext code="0x40">e</ext><ext code="0x81" value="5"/><ext code="0xC2"/>)") !=
          std::string::npos);
}

TEST_CASE("a non-default header is kept and shown") {
    // WBXML 1.2, public id given as string-table index 0 ("x"), charset ISO-8859-1, empty Sync
    const auto wire = bytes({0x02, 0x00, 0x00, 0x04, 0x02, 'x', 0x00, 0x05});
    const auto r = decode(wire);
    REQUIRE(r.ok());
    CHECK(r.document.header.version == 0x02);
    CHECK(r.document.header.public_id == 0);
    CHECK(r.document.header.charset == 4);
    CHECK(to_xml(r.document, compact()) == R"(<?wbxml version="1.2" public-id="0" charset="4"?>)"
                                           "\n"
                                           R"(<Sync xmlns="AirSync:"/>)");
}

TEST_CASE("errors keep what was decoded before them") {
    const auto wire = kEasHeader + bytes({0x45, 0x5C, 0x4F, 0x4B, 0x03, '4', '2', 0x00, 0x01, 0x50,
                                          0x03, 'E', 'm'});
    const auto r = decode(wire);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->offset == 14);  // the STR_I of Class that never ends
    CHECK_THAT(r.error->reason, Catch::Contains("no terminating NUL"));
    CHECK(
        compact_xml(r.document) ==
        R"(<Sync xmlns="AirSync:"><Collections><Collection><SyncKey>42</SyncKey><Class/></Collection></Collections></Sync>)");
}

TEST_CASE("looks_like_wbxml tells WBXML from XML and junk") {
    CHECK(looks_like_wbxml(kEasHeader + "\x45\x01"s));
    CHECK_FALSE(looks_like_wbxml("<?xml version=\"1.0\"?>"));
    CHECK_FALSE(looks_like_wbxml(""));
    CHECK_FALSE(looks_like_wbxml(bytes({0x03, 0x01, 0x6B, 0x00})));
}

TEST_CASE("hand-built captures decode to their expected XML") {
    const auto captures = eas::test::files_in("captures", ".hex");
    REQUIRE_FALSE(captures.empty());
    for (const auto& path : captures) {
        INFO(path.filename().string());
        const auto r = decode(eas::test::read_hex_capture(path));
        CHECK(r.ok());
        auto expected_path = path;
        expected_path.replace_extension(".expected.xml");
        CHECK(to_xml(r.document) == eas::test::read_file(expected_path));
    }
}

TEST_CASE("Status elements can carry their meaning as a comment that parsers ignore") {
    // Sync > Collections > Collection > Status 3 ; FolderSync-style words come from the command
    const auto wire =
        kEasHeader + bytes({0x45, 0x5C, 0x4F, 0x4E, 0x03, '3', 0x00, 0x01, 0x01, 0x01, 0x01});
    const auto r = decode(wire);
    REQUIRE(r.ok());
    auto o = compact();
    o.annotate_status = true;
    const auto xml = to_xml(r.document, o);
    CHECK_THAT(xml, Catch::Contains("<Status>3</Status><!-- "));
    CHECK_THAT(xml, Catch::Contains("SyncKey"));
    CHECK(compact_xml(r.document).find("<!--") == std::string::npos);  // off by default
    // Provision Policy Status means different things from each side: unknown sender, no words.
    const auto prov = kEasHeader + bytes({0x00, 0x0E, 0x45, 0x46, 0x47, 0x4B, 0x03, '2', 0x00, 0x01,
                                          0x01, 0x01, 0x01});
    const auto p = decode(prov);
    REQUIRE(p.ok());
    CHECK(to_xml(p.document, o).find("<!--") == std::string::npos);
    o.sender = XmlWriteOptions::Sender::Client;
    CHECK(to_xml(p.document, o).find("<!--") != std::string::npos);
}
