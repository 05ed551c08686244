// --redact: the element class table covers the code pages, and each level keeps structure while
// hiding what it promises to hide.
#include <catch2/catch.hpp>

#include <set>

#include "element_classes.hpp"
#include "redactor.hpp"
#include "siphash.hpp"
#include "wbxml_codepages.hpp"
#include "wbxml_xml_reader.hpp"
#include "wbxml_xml_writer.hpp"

using namespace eas::redact;

namespace {

std::string redacted_xml(const Redactor& r, const std::string& xml) {
    auto doc = eas::wbxml::read_xml(xml);
    REQUIRE(doc.ok());
    eas::wbxml::XmlWriteOptions o;
    o.declaration = false;
    o.indent = false;
    return eas::wbxml::to_xml(r.redact(doc.document), o);
}

const std::string kSyncWithMail =
    R"(<Sync xmlns="AirSync:" xmlns:email="Email:" xmlns:airsyncbase="AirSyncBase:">
<Collections><Collection><SyncKey>7</SyncKey><CollectionId>2</CollectionId><Status>1</Status>
<Commands><Add><ServerId>2:1</ServerId><ApplicationData>
<email:To>"Alex Wilber" &lt;alex@contoso.com&gt;</email:To>
<email:From>"Sam Lee" &lt;sam@contoso.com&gt;</email:From>
<email:Subject>Quarterly numbers</email:Subject>
<email:DateReceived>2026-11-25T10:00:00.000Z</email:DateReceived>
<email:Read>0</email:Read>
<airsyncbase:Body><airsyncbase:Type>1</airsyncbase:Type><airsyncbase:EstimatedDataSize>24</airsyncbase:EstimatedDataSize>
<airsyncbase:Data>The numbers are in. Sam</airsyncbase:Data></airsyncbase:Body>
<email:MessageClass>IPM.Note</email:MessageClass>
</ApplicationData></Add></Commands></Collection></Collections></Sync>)";

const std::string kDeviceInformation = R"(<Settings xmlns="Settings:"><DeviceInformation><Set>
<Model>iPhone15,2</Model><IMEI>356938035643809</IMEI><FriendlyName>Sam's iPhone</FriendlyName>
<OS>iOS 17.1</OS><PhoneNumber>+15555550123</PhoneNumber><UserAgent>Apple-iPhone15C2/2101.86</UserAgent>
</Set></DeviceInformation></Settings>)";

}  // namespace

TEST_CASE("every tag of the code-page table has a redaction class") {
    std::size_t n = 0;
    std::vector<std::string> missing;
    for (auto* t = eas::wbxml::all_tokens_begin(); t != eas::wbxml::all_tokens_end(); ++t, ++n) {
        if (!is_classified(t->page, t->name))
            missing.push_back(std::to_string(t->page) + ":" + std::string(t->name));
    }
    CHECK(n == 654);
    INFO("unclassified: " << missing.size());
    for (const auto& m : missing) INFO(m);
    CHECK(missing.empty());
}

TEST_CASE("the classes say what a support engineer needs and what must not leave") {
    CHECK(class_of(0, "SyncKey") == ElementClass::Keep);
    CHECK(class_of(0, "CollectionId") == ElementClass::Keep);
    CHECK(class_of(2, "Subject") == ElementClass::Content);
    CHECK(class_of(17, "Data") == ElementClass::Content);
    CHECK(class_of(17, "EstimatedDataSize") == ElementClass::Keep);
    CHECK(class_of(18, "Model") == ElementClass::Keep);
    CHECK(class_of(18, "IMEI") == ElementClass::Identity);
    CHECK(class_of(18, "Password") == ElementClass::Secret);
    CHECK(class_of(20, "Password") == ElementClass::Secret);
    CHECK(class_of(15, "FreeText") == ElementClass::Content);
    CHECK(class_of(99, "Unknown") == ElementClass::Content);  // in doubt, nothing leaks
}

TEST_CASE("SipHash-2-4 matches the reference vector") {
    // The paper's test vector: key 00..0f, message 00..0e (15 bytes) -> a129ca6149be45e5.
    SipKey key{};
    for (std::uint8_t i = 0; i < 16; ++i) key[i] = i;
    std::string msg;
    for (char i = 0; i < 15; ++i) msg.push_back(i);
    CHECK(siphash24(key, msg) == 0xa129ca6149be45e5ull);
}

TEST_CASE("content: user content becomes length and hash; structure stays") {
    const Redactor r(Level::Content, key_from_passphrase("test"));
    const auto xml = redacted_xml(r, kSyncWithMail);
    for (const char* gone : {"Quarterly", "alex@contoso.com", "Alex Wilber", "The numbers"})
        CHECK_THAT(xml, !Catch::Contains(gone));
    for (const char* kept : {"<SyncKey>7</SyncKey>", "<CollectionId>2</CollectionId>",
                             "<Status>1</Status>", "<ServerId>2:1</ServerId>",
                             ">24</EstimatedDataSize>", ">IPM.Note</MessageClass>", ">0</Read>"})
        CHECK_THAT(xml, Catch::Contains(kept));
    CHECK_THAT(xml, Catch::Contains("<Subject xmlns=\"Email:\">[content 17 B #"));
    // Equal values, equal tokens; the token does not depend on where the value appears.
    CHECK(r.content_token("Quarterly numbers") == r.content_token("Quarterly numbers"));
    CHECK(r.content_token("Quarterly numbers") != r.content_token("Quarterly Numbers"));
}

TEST_CASE("identities stay at content and are pseudonymised at strict") {
    const Redactor content(Level::Content, key_from_passphrase("k1"));
    const Redactor strict(Level::Strict, key_from_passphrase("k1"));
    const Redactor other(Level::Strict, key_from_passphrase("k2"));
    CHECK_THAT(redacted_xml(content, kDeviceInformation), Catch::Contains("356938035643809"));
    const auto xml = redacted_xml(strict, kDeviceInformation);
    for (const char* gone : {"356938035643809", "+15555550123", "Sam's iPhone"})
        CHECK_THAT(xml, !Catch::Contains(gone));
    CHECK_THAT(xml, Catch::Contains(">iPhone15,2</Model>"));
    CHECK_THAT(xml, Catch::Contains("<IMEI>imei-"));
    // Stable within one key, different across keys, and user names correlate with addresses.
    CHECK(strict.pseudonym("user", "sam") == strict.pseudonym("user", "SAM"));
    CHECK(strict.pseudonym("user", "sam") != other.pseudonym("user", "sam"));
    const auto email = strict.pseudonym("email", "sam@contoso.com");
    CHECK(email.rfind(strict.pseudonym("user", "sam") + "@domain-", 0) == 0);
    CHECK(email.find("contoso") == std::string::npos);
}

TEST_CASE("a record's envelope: request line, headers and client at strict") {
    const Redactor strict(Level::Strict, key_from_passphrase("k"));
    nlohmann::json j = {
        {"client", "198.51.100.7:51234"},
        {"request",
         {{"target",
           "/Microsoft-Server-ActiveSync?Cmd=Sync&User=sam%40contoso.com&DeviceId=SAMPHONE9&"
           "DeviceType=iPhone"},
          {"headers", nlohmann::json::array(
                          {nlohmann::json::array({"Authorization", "Basic c2FtOlBhc3N3MHJk"}),
                           nlohmann::json::array({"Cookie", "s=1"}),
                           nlohmann::json::array({"Host", "mail"})})},
          {"eas",
           {{"form", "plain"},
            {"user", "sam@contoso.com"},
            {"device_id", "SAMPHONE9"},
            {"device_type", "iPhone"},
            {"parameters", nlohmann::json::array()}}}}}};
    strict.redact_record(j);
    const auto text = j.dump();
    for (const char* gone : {"sam", "SAMPHONE9", "198.51.100.7", "c2FtOlBhc3N3MHJk", "s=1"})
        CHECK(text.find(gone) == std::string::npos);
    CHECK(j["request"]["eas"]["device_type"] == "iPhone");
    CHECK_THAT(j["request"]["target"].get<std::string>(), Catch::Contains("Cmd=Sync"));
    CHECK_THAT(j["client"].get<std::string>(), Catch::StartsWith("ip-"));
    CHECK(j["request"]["headers"][0][1] ==
          "Basic [redacted] (user " + strict.pseudonym("user", "sam") + ")");
}

TEST_CASE("at level secrets a raw body is withheld only when it carries a password") {
    const Redactor secrets(Level::Secrets, random_key());
    auto doc = eas::wbxml::read_xml(
        "<Settings xmlns=\"Settings:\"><DevicePassword><Set><Password>"
        "hunter2</Password></Set></DevicePassword></Settings>");
    REQUIRE(doc.ok());
    CHECK(secrets.affects(doc.document));
    CHECK_FALSE(secrets.affects(
        eas::wbxml::read_xml(
            "<FolderSync xmlns=\"FolderHierarchy:\"><SyncKey>0</SyncKey></FolderSync>")
            .document));
}
