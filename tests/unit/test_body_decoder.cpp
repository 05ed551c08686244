#include <catch2/catch.hpp>

#include "body_decoder.hpp"
#include "content_encoding.hpp"
#include "multipart.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_xml_writer.hpp"

using namespace eas;

namespace {
// (Designated initializers that skip members trip GCC 12's -Wmissing-field-initializers.)
BodyDecodeOptions typed(std::string_view type) {
    BodyDecodeOptions o;
    o.content_type = type;
    return o;
}
BodyDecodeOptions encoded(std::string_view coding, std::size_t max_inflated = 64 * 1024 * 1024) {
    BodyDecodeOptions o;
    o.content_encoding = coding;
    o.max_inflated = max_inflated;
    return o;
}

std::string folder_sync() {
    auto r = wbxml::encode_xml(
        R"(<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>)");
    REQUIRE(r.ok());
    return r.bytes;
}
}  // namespace

TEST_CASE("WBXML by content type and by sniffing") {
    const auto wire = folder_sync();
    auto b = decode_body(wire, typed("application/vnd.ms-sync.wbxml"));
    REQUIRE(b.ok());
    CHECK(b.kind == BodyKind::Wbxml);
    CHECK(b.has_document);
    b = decode_body(wire, typed("application/octet-stream"));
    CHECK(b.kind == BodyKind::Wbxml);
    b = decode_body(wire);
    CHECK(b.kind == BodyKind::Wbxml);
    CHECK(wbxml::to_xml(b.document).find("<SyncKey>0</SyncKey>") != std::string::npos);
}

TEST_CASE("gzip bodies are inflated first, with or without the header") {
    const auto wire = folder_sync();
    const auto gz = gzip_compress(wire);
    auto b = decode_body(gz, encoded("gzip"));
    REQUIRE(b.ok());
    CHECK(b.was_encoded);
    CHECK(b.kind == BodyKind::Wbxml);
    b = decode_body(gz);  // sniffed
    REQUIRE(b.ok());
    CHECK(b.kind == BodyKind::Wbxml);
    b = decode_body(deflate_compress(wire));
    REQUIRE(b.ok());
    CHECK(b.codings == std::vector<std::string>{"deflate"});
}

TEST_CASE("a gzip bomb stops at the bound and says so") {
    const std::string zeros(8 * 1024 * 1024, '\0');
    const auto bomb = gzip_compress(zeros);
    const auto b = decode_body(bomb, encoded("gzip", 1024 * 1024));
    REQUIRE_FALSE(b.ok());
    CHECK(b.error_stage == "gzip");
    CHECK(b.inflated.size() <= 1024 * 1024);
}

TEST_CASE("multipart: part 0 decoded, errors offset into the whole body") {
    const auto wire = folder_sync();
    const std::string attachment(5000, 'A');
    const auto body = build_multipart({wire, attachment});
    auto b = decode_body(body, typed("application/vnd.ms-sync.multipart"));
    REQUIRE(b.ok());
    CHECK(b.kind == BodyKind::Multipart);
    // Sniffed too: a 2-part table starts 02 00 00 00, which could pass for a WBXML 1.2 header.
    CHECK(decode_body(body).kind == BodyKind::Multipart);
    REQUIRE(b.multipart.parts.size() == 2);
    CHECK(b.multipart.parts[1].length == 5000);
    CHECK(b.has_document);
    // Part 0 truncated inside: the error offset counts from the start of the body.
    const auto broken = build_multipart({std::string_view(wire).substr(0, wire.size() - 1)});
    b = decode_body(broken, typed("application/vnd.ms-sync.multipart"));
    REQUIRE_FALSE(b.ok());
    CHECK(b.error->offset >= 12);
    CHECK(b.error_stage.find("multipart part 0") == 0);
}

TEST_CASE("Autodiscover request and response are told apart") {
    const char* req = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006">
  <Request><EMailAddress>alex@contoso.com</EMailAddress>
  <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema>
  </Request></Autodiscover>)";
    auto b = decode_body(req, typed("text/xml"));
    REQUIRE(b.ok());
    CHECK(b.kind == BodyKind::Autodiscover);
    REQUIRE(b.autodiscover_request);
    CHECK(b.autodiscover_request->email_address == "alex@contoso.com");
    const char* resp = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
  <Culture>en:us</Culture><User><DisplayName>Alex</DisplayName><EMailAddress>alex@contoso.com</EMailAddress></User>
  <Action><Settings><Server><Type>MobileSync</Type><Url>https://mail.contoso.com/Microsoft-Server-ActiveSync</Url>
  <Name>https://mail.contoso.com/Microsoft-Server-ActiveSync</Name></Server></Settings></Action>
 </Response></Autodiscover>)";
    b = decode_body(resp);
    REQUIRE(b.ok());
    REQUIRE(b.autodiscover_response);
    CHECK(b.autodiscover_response->mobilesync_url ==
          "https://mail.contoso.com/Microsoft-Server-ActiveSync");
}

TEST_CASE("other bodies are classified, not decoded") {
    CHECK(decode_body("").kind == BodyKind::Empty);
    CHECK(decode_body("<html><body>Bad gateway</body></html>").kind == BodyKind::Xml);
    CHECK(decode_body("From: a@b\r\n\r\nhi", typed("message/rfc822")).kind == BodyKind::Rfc822);
    CHECK(decode_body("\x89PNG....").kind == BodyKind::Other);
}
