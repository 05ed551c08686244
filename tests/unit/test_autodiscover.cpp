#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "autodiscover.hpp"

using eas::AutodiscoverKind;
using eas::AutodiscoverSchema;
using eas::decode_autodiscover_request;
using eas::decode_autodiscover_response;

namespace {

const std::string kRequest = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006">
  <Request>
    <EMailAddress>pat.doe@contoso.com</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema>
  </Request>
</Autodiscover>
)";

const std::string kSettings = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Culture>en:us</Culture>
    <User>
      <DisplayName>Pat Doe</DisplayName>
      <EMailAddress>pat.doe@contoso.com</EMailAddress>
    </User>
    <Action>
      <Settings>
        <Server>
          <Type>MobileSync</Type>
          <Url>
            https://mail.contoso.com/Microsoft-Server-ActiveSync
          </Url>
          <Name>
            https://mail.contoso.com/Microsoft-Server-ActiveSync
          </Name>
        </Server>
        <Server>
          <Type>CertEnroll</Type>
          <Url>https://cert.contoso.com/CertEnroll</Url>
          <Name />
          <ServerData>CertEnrollTemplate</ServerData>
        </Server>
      </Settings>
    </Action>
  </Response>
</Autodiscover>
)";

const std::string kRedirect = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Culture>en:us</Culture>
    <User>
      <DisplayName>Pat Doe</DisplayName>
      <EMailAddress>pat.doe@contoso.com</EMailAddress>
    </User>
    <Action>
      <Redirect>pat.doe@fabrikam.onmicrosoft.com</Redirect>
    </Action>
  </Response>
</Autodiscover>
)";

const std::string kTopLevelError600 = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Error Time="09:14:02.3381137" Id="2913388207">
      <ErrorCode>600</ErrorCode>
      <Message>Invalid Request</Message>
      <DebugData />
    </Error>
  </Response>
</Autodiscover>
)";

const std::string kActionError601 = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Culture>en:us</Culture>
    <User>
      <EMailAddress>pat.doe@contoso.com</EMailAddress>
    </User>
    <Action>
      <Error>
        <Status>2</Status>
        <Message>The requested schema is not available.</Message>
        <DebugData>MailUser</DebugData>
        <ErrorCode>601</ErrorCode>
      </Error>
    </Action>
  </Response>
</Autodiscover>
)";

const std::string kOutlookRedirectUrl = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <Action>redirectUrl</Action>
      <RedirectUrl>https://autodiscover.fabrikam.com/autodiscover/autodiscover.xml</RedirectUrl>
    </Account>
  </Response>
</Autodiscover>
)";

const std::string kOutlookRedirectAddr = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <Action>redirectAddr</Action>
      <RedirectAddr>pat.doe@fabrikam.mail.onmicrosoft.com</RedirectAddr>
    </Account>
  </Response>
</Autodiscover>
)";

const std::string kOutlookSettings = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <User>
      <DisplayName>Pat Doe</DisplayName>
      <AutoDiscoverSMTPAddress>pat.doe@contoso.com</AutoDiscoverSMTPAddress>
    </User>
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
      <Protocol>
        <Type>EXCH</Type>
        <Server>MBX01.contoso.local</Server>
        <EwsUrl>https://mail.contoso.com/EWS/Exchange.asmx</EwsUrl>
      </Protocol>
      <Protocol Type="mapiHttp" Version="1">
        <MailStore><ExternalUrl>https://mail.contoso.com/mapi/emsmdb/</ExternalUrl></MailStore>
      </Protocol>
    </Account>
  </Response>
</Autodiscover>
)";

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    for (std::size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

}  // namespace

TEST_CASE("mobilesync request", "[autodiscover]") {
    auto r = decode_autodiscover_request(kRequest);
    REQUIRE(r.ok());
    CHECK(r.schema == AutodiscoverSchema::MobileSync);
    CHECK(r.email_address == "pat.doe@contoso.com");
    CHECK(r.acceptable_response_schema == eas::kMobileSyncResponseSchema);
    CHECK(r.mobilesync_response_requested);
    CHECK(r.warnings.empty());
}

TEST_CASE("request asking for another schema is flagged", "[autodiscover]") {
    const std::string outlook =
        replace_all(kRequest, "mobilesync/responseschema/2006", "outlook/responseschema/2006a");
    auto r = decode_autodiscover_request(outlook);
    REQUIRE(r.ok());
    CHECK_FALSE(r.mobilesync_response_requested);
    CHECK(r.acceptable_response_schema == eas::kOutlookResponseSchema);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0].find("not the mobilesync response schema") != std::string::npos);
    CHECK(r.warnings[0].find("601") != std::string::npos);

    auto missing = decode_autodiscover_request(
        "<Autodiscover><Request><EMailAddress>a@b.c</EMailAddress></Request></Autodiscover>");
    REQUIRE(missing.ok());
    CHECK_FALSE(missing.mobilesync_response_requested);
    REQUIRE(missing.warnings.size() == 1);
    CHECK(missing.warnings[0] == "the request has no AcceptableResponseSchema");
}

TEST_CASE("request without namespaces and with case variants", "[autodiscover]") {
    const std::string body =
        "<autodiscover><request><EmailAddress> pat@contoso.com </EmailAddress>"
        "<acceptableResponseSchema>HTTP://schemas.microsoft.com/exchange/autodiscover/"
        "mobilesync/responseschema/2006</acceptableResponseSchema></request></autodiscover>";
    auto r = decode_autodiscover_request(body);
    REQUIRE(r.ok());
    CHECK(r.schema == AutodiscoverSchema::Unknown);
    CHECK(r.email_address == "pat@contoso.com");
    CHECK(r.mobilesync_response_requested);
    CHECK(r.warnings.empty());
}

TEST_CASE("Outlook request", "[autodiscover]") {
    const std::string body =
        R"(<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>pat.doe@contoso.com</EMailAddress>
    <LegacyDN>/o=Contoso/ou=Exchange Administrative Group/cn=Recipients/cn=patdoe</LegacyDN>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>)";
    auto r = decode_autodiscover_request(body);
    REQUIRE(r.ok());
    CHECK(r.schema == AutodiscoverSchema::Outlook);
    CHECK(r.legacy_dn.find("cn=patdoe") != std::string::npos);
    CHECK_FALSE(r.mobilesync_response_requested);
}

TEST_CASE("mobilesync settings response", "[autodiscover]") {
    auto r = decode_autodiscover_response(kSettings);
    REQUIRE(r.ok());
    CHECK(r.kind == AutodiscoverKind::Settings);
    CHECK(r.schema == AutodiscoverSchema::MobileSync);
    CHECK(r.culture == "en:us");
    CHECK(r.display_name == "Pat Doe");
    CHECK(r.email_address == "pat.doe@contoso.com");
    REQUIRE(r.servers.size() == 2);
    CHECK(r.servers[0].type == "MobileSync");
    CHECK(r.servers[0].url == "https://mail.contoso.com/Microsoft-Server-ActiveSync");
    CHECK(r.servers[0].name == "https://mail.contoso.com/Microsoft-Server-ActiveSync");
    CHECK(r.servers[1].type == "CertEnroll");
    CHECK(r.servers[1].name.empty());
    CHECK(r.servers[1].server_data == "CertEnrollTemplate");
    CHECK(r.mobilesync_url == "https://mail.contoso.com/Microsoft-Server-ActiveSync");
    CHECK(r.redirect_address.empty());
    CHECK_FALSE(r.server_error);
    CHECK(r.warnings.empty());
}

TEST_CASE("MobileSync URL falls back to Name; a Settings without it is flagged", "[autodiscover]") {
    std::string only_name = kSettings;
    const auto b = only_name.find("<Url>");
    only_name.erase(b, only_name.find("</Url>") + 6 - b);
    auto r = decode_autodiscover_response(only_name);
    REQUIRE(r.ok());
    CHECK(r.servers[0].url.empty());
    CHECK(r.mobilesync_url == "https://mail.contoso.com/Microsoft-Server-ActiveSync");

    auto cert_only = decode_autodiscover_response(
        replace_all(kSettings, "<Type>MobileSync</Type>", "<Type>CertEnroll</Type>"));
    REQUIRE(cert_only.ok());
    CHECK(cert_only.kind == AutodiscoverKind::Settings);
    CHECK(cert_only.mobilesync_url.empty());
    REQUIRE(cert_only.warnings.size() == 1);
    CHECK(cert_only.warnings[0] == "Settings list no MobileSync server URL");
}

TEST_CASE("mobilesync redirect to another address", "[autodiscover]") {
    auto r = decode_autodiscover_response(kRedirect);
    REQUIRE(r.ok());
    CHECK(r.kind == AutodiscoverKind::RedirectAddress);
    CHECK(r.schema == AutodiscoverSchema::MobileSync);
    CHECK(r.redirect_address == "pat.doe@fabrikam.onmicrosoft.com");
    CHECK(r.redirect_url.empty());
    CHECK(r.servers.empty());
    CHECK(r.email_address == "pat.doe@contoso.com");
}

TEST_CASE("top-level error 600", "[autodiscover]") {
    auto r = decode_autodiscover_response(kTopLevelError600);
    REQUIRE(r.ok());
    CHECK(r.kind == AutodiscoverKind::Error);
    REQUIRE(r.server_error);
    CHECK(r.server_error->top_level);
    CHECK(r.server_error->error_code == "600");
    CHECK(r.server_error->message == "Invalid Request");
    CHECK(r.server_error->debug_data.empty());
    CHECK(r.server_error->time == "09:14:02.3381137");
    CHECK(r.server_error->id == "2913388207");
    CHECK(eas::autodiscover_error_meaning(r.server_error->error_code).find("invalid request") == 0);

    // Exchange's generic form: Response in the outer namespace.
    auto generic = decode_autodiscover_response(replace_all(
        kTopLevelError600,
        R"(<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">)",
        "<Response>"));
    REQUIRE(generic.ok());
    CHECK(generic.kind == AutodiscoverKind::Error);
    CHECK(generic.schema == AutodiscoverSchema::Unknown);
    CHECK(generic.server_error->error_code == "600");
}

TEST_CASE("Action error 601", "[autodiscover]") {
    auto r = decode_autodiscover_response(kActionError601);
    REQUIRE(r.ok());
    CHECK(r.kind == AutodiscoverKind::Error);
    REQUIRE(r.server_error);
    CHECK_FALSE(r.server_error->top_level);
    CHECK(r.server_error->status == "2");
    CHECK(r.server_error->error_code == "601");
    CHECK(r.server_error->debug_data == "MailUser");
    CHECK(r.server_error->message == "The requested schema is not available.");
    CHECK(r.email_address == "pat.doe@contoso.com");
    CHECK(eas::autodiscover_error_meaning("601").find("AcceptableResponseSchema") !=
          std::string_view::npos);
    CHECK(eas::autodiscover_error_meaning("999").empty());
}

TEST_CASE("Outlook 2006a redirectUrl and redirectAddr", "[autodiscover]") {
    auto url = decode_autodiscover_response(kOutlookRedirectUrl);
    REQUIRE(url.ok());
    CHECK(url.kind == AutodiscoverKind::RedirectUrl);
    CHECK(url.schema == AutodiscoverSchema::Outlook);
    CHECK(url.outlook_action == "redirectUrl");
    CHECK(url.redirect_url == "https://autodiscover.fabrikam.com/autodiscover/autodiscover.xml");
    CHECK(url.redirect_address.empty());
    REQUIRE(url.warnings.size() == 1);
    CHECK(url.warnings[0].find("Outlook schema") != std::string::npos);

    auto addr = decode_autodiscover_response(kOutlookRedirectAddr);
    REQUIRE(addr.ok());
    CHECK(addr.kind == AutodiscoverKind::RedirectAddress);
    CHECK(addr.redirect_address == "pat.doe@fabrikam.mail.onmicrosoft.com");

    // Action without its value element still classifies, with a warning.
    auto bare = decode_autodiscover_response(
        replace_all(kOutlookRedirectUrl,
                    "<RedirectUrl>https://autodiscover.fabrikam.com/autodiscover/autodiscover.xml</"
                    "RedirectUrl>",
                    ""));
    REQUIRE(bare.ok());
    CHECK(bare.kind == AutodiscoverKind::RedirectUrl);
    CHECK(bare.redirect_url.empty());
    CHECK(bare.warnings.size() == 2);
}

TEST_CASE("Outlook settings list protocols", "[autodiscover]") {
    auto r = decode_autodiscover_response(kOutlookSettings);
    REQUIRE(r.ok());
    CHECK(r.kind == AutodiscoverKind::Settings);
    CHECK(r.schema == AutodiscoverSchema::Outlook);
    CHECK(r.display_name == "Pat Doe");
    CHECK(r.email_address == "pat.doe@contoso.com");
    REQUIRE(r.servers.size() == 2);
    CHECK(r.servers[0].type == "EXCH");
    CHECK(r.servers[0].name == "MBX01.contoso.local");
    CHECK(r.servers[0].url == "https://mail.contoso.com/EWS/Exchange.asmx");
    CHECK(r.servers[1].type == "mapiHttp");
    CHECK(r.mobilesync_url.empty());
}

TEST_CASE("responses without namespaces, with prefixes, or with case variants", "[autodiscover]") {
    // No namespaces at all: the schema comes from the shape.
    std::string bare = replace_all(
        kRedirect,
        R"( xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006")",
        "");
    bare = replace_all(
        bare, R"( xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006")",
        "");
    auto r = decode_autodiscover_response(bare);
    REQUIRE(r.ok());
    CHECK(r.kind == AutodiscoverKind::RedirectAddress);
    CHECK(r.schema == AutodiscoverSchema::MobileSync);

    // Declared prefixes.
    const std::string prefixed = R"(<a:Autodiscover
    xmlns:a="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
    xmlns:m="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
  <m:Response><m:Action><m:Settings><m:Server>
    <m:Type>MobileSync</m:Type>
    <m:Url>https://eas.contoso.com/Microsoft-Server-ActiveSync</m:Url>
  </m:Server></m:Settings></m:Action></m:Response>
</a:Autodiscover>)";
    auto p = decode_autodiscover_response(prefixed);
    REQUIRE(p.ok());
    CHECK(p.kind == AutodiscoverKind::Settings);
    CHECK(p.schema == AutodiscoverSchema::MobileSync);
    CHECK(p.mobilesync_url == "https://eas.contoso.com/Microsoft-Server-ActiveSync");
    CHECK(p.warnings.empty());

    // Undeclared prefix: not namespace-well-formed, read again without namespaces.
    std::string undeclared = prefixed;
    for (const char* decl : {"xmlns:a=", "xmlns:m="}) {
        const std::size_t at = undeclared.find(decl);
        undeclared.erase(at, undeclared.find('"', at + 9) + 1 - at);
    }
    REQUIRE(undeclared.find("xmlns") == std::string::npos);
    auto u = decode_autodiscover_response(undeclared);
    REQUIRE(u.ok());
    CHECK(u.kind == AutodiscoverKind::Settings);
    CHECK(u.mobilesync_url == "https://eas.contoso.com/Microsoft-Server-ActiveSync");
    REQUIRE(u.warnings.size() == 1);
    CHECK(u.warnings[0].find("never declares") != std::string::npos);

    // Case variants.
    auto c = decode_autodiscover_response(
        "<AutoDiscover><response><ACTION><redirect>x@y.z</redirect></ACTION></response>"
        "</AutoDiscover>");
    REQUIRE(c.ok());
    CHECK(c.kind == AutodiscoverKind::RedirectAddress);
    CHECK(c.redirect_address == "x@y.z");
}

TEST_CASE("malformed XML keeps what was read and names the byte", "[autodiscover]") {
    const std::string cut = kSettings.substr(0, kSettings.find("<Type>MobileSync") + 10);
    auto r = decode_autodiscover_response(cut);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->offset == cut.size());
    CHECK(r.error->reason.find("XML ends early at line 12") == 0);
    CHECK(r.error->reason.find("with 6 elements still open (truncated body?)") !=
          std::string::npos);
    CHECK(r.culture == "en:us");
    CHECK(r.display_name == "Pat Doe");
    CHECK(r.email_address == "pat.doe@contoso.com");
    REQUIRE(r.servers.size() == 1);  // opened; its Type never completed
    CHECK(r.servers[0].type.empty());

    const std::string mismatched =
        "<Autodiscover><Response><Culture>en:us</Culture></Respons></Autodiscover>";
    auto m = decode_autodiscover_response(mismatched);
    REQUIRE_FALSE(m.ok());
    // expat points at the name in the end tag.
    CHECK(m.error->offset == mismatched.find("</Respons>") + 2);
    CHECK(m.error->reason == "malformed XML at line 1, column 51 (byte 50): mismatched tag");
    CHECK(m.culture == "en:us");

    auto empty = decode_autodiscover_response("");
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error->offset == 0);
    CHECK(empty.error->reason == "empty body: no XML to decode");
    CHECK(empty.kind == AutodiscoverKind::Unknown);

    auto req = decode_autodiscover_request(kRequest.substr(0, kRequest.find("<Accept")));
    REQUIRE_FALSE(req.ok());
    CHECK(req.email_address == "pat.doe@contoso.com");
    CHECK(req.warnings.empty());  // no "missing AcceptableResponseSchema" noise on top
}

TEST_CASE("a newline before the XML declaration is tolerated", "[autodiscover]") {
    auto r = decode_autodiscover_response("\r\n" + kRedirect);
    REQUIRE(r.ok());
    CHECK(r.kind == AutodiscoverKind::RedirectAddress);

    // Offsets still count from the first byte received.
    const std::string bad = "\n\n<?xml version=\"1.0\"?><Autodiscover><x></y></Autodiscover>";
    auto e = decode_autodiscover_response(bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error->offset == bad.find("</y>") + 2);
}

TEST_CASE("DOCTYPE is refused before any entity is declared", "[autodiscover]") {
    const std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Autodiscover><Response><Culture>&lol9;</Culture></Response></Autodiscover>)";
    const auto t0 = std::chrono::steady_clock::now();
    auto r = decode_autodiscover_response(laughs);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->offset == laughs.find("<!DOCTYPE"));
    CHECK(r.error->reason.find("DOCTYPE") != std::string::npos);
    CHECK(r.culture.empty());
    CHECK(r.kind == AutodiscoverKind::Unknown);

    // External entities and a bare DOCTYPE are refused the same way.
    const std::string xxe =
        R"(<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Autodiscover><Request><EMailAddress>&x;</EMailAddress></Request></Autodiscover>)";
    auto x = decode_autodiscover_request(xxe);
    REQUIRE_FALSE(x.ok());
    CHECK(x.error->reason.find("DOCTYPE") != std::string::npos);
    CHECK(x.email_address.empty());

    auto plain = decode_autodiscover_request("<!DOCTYPE Autodiscover>" + kRequest.substr(39));
    REQUIRE_FALSE(plain.ok());
    CHECK(plain.error->offset == 0);

    // Without a DOCTYPE only the five predefined entities exist.
    auto undefined = decode_autodiscover_request(
        "<Autodiscover><Request><EMailAddress>&x;</EMailAddress></Request></Autodiscover>");
    REQUIRE_FALSE(undefined.ok());
    CHECK(undefined.error->reason.find("undefined entity") != std::string::npos);
    auto predefined = decode_autodiscover_request(
        "<Autodiscover><Request><EMailAddress>a&amp;b@c.d</EMailAddress></Request></Autodiscover>");
    REQUIRE(predefined.ok());
    CHECK(predefined.email_address == "a&b@c.d");
}

TEST_CASE("non-Autodiscover bodies and deep nesting", "[autodiscover]") {
    auto html = decode_autodiscover_response(
        "<html><body><h1>Server Error in '/autodiscover' Application.</h1></body></html>");
    REQUIRE(html.ok());
    CHECK(html.kind == AutodiscoverKind::Unknown);
    REQUIRE(html.warnings.size() == 1);
    CHECK(html.warnings[0] == "root element is <html>, not <Autodiscover>");

    std::string deep;
    for (int i = 0; i < 10000; ++i) deep += "<a>";
    auto d = decode_autodiscover_response(deep);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error->reason.find("nested more than 100 levels") != std::string::npos);
    CHECK(d.error->offset == 300);
}

TEST_CASE("UTF-16 bodies with a byte order mark decode to UTF-8", "[autodiscover]") {
    const std::string ascii = replace_all(kRedirect, "utf-8", "utf-16");
    std::string utf16 = "\xFF\xFE";
    for (char c : ascii) {
        utf16 += c;
        utf16 += '\0';
    }
    auto r = decode_autodiscover_response(utf16);
    REQUIRE(r.ok());
    CHECK(r.kind == AutodiscoverKind::RedirectAddress);
    CHECK(r.redirect_address == "pat.doe@fabrikam.onmicrosoft.com");
}

TEST_CASE("to_json has a stable shape", "[autodiscover]") {
    const nlohmann::json req = eas::to_json(decode_autodiscover_request(kRequest));
    CHECK(req["schema"] == "mobilesync");
    CHECK(req["email_address"] == "pat.doe@contoso.com");
    CHECK(req["mobilesync_response_requested"] == true);
    CHECK(req["legacy_dn"] == "");
    CHECK(req["warnings"].is_array());
    CHECK(req["error"].is_null());

    const nlohmann::json set = eas::to_json(decode_autodiscover_response(kSettings));
    CHECK(set["kind"] == "settings");
    CHECK(set["mobilesync_url"] == "https://mail.contoso.com/Microsoft-Server-ActiveSync");
    REQUIRE(set["servers"].size() == 2);
    CHECK(set["servers"][1]["server_data"] == "CertEnrollTemplate");
    CHECK(set["server_error"].is_null());

    const nlohmann::json err = eas::to_json(decode_autodiscover_response(kTopLevelError600));
    CHECK(err["kind"] == "error");
    CHECK(err["server_error"]["error_code"] == "600");
    CHECK(err["server_error"]["top_level"] == true);
    CHECK(err["server_error"]["meaning"].get<std::string>().find("invalid request") == 0);

    const nlohmann::json bad = eas::to_json(decode_autodiscover_response("<Autodiscover>"));
    CHECK(bad["error"]["offset"] == 14);
    CHECK(bad["error"]["reason"].get<std::string>().find("XML ends early") == 0);

    const nlohmann::json url = eas::to_json(decode_autodiscover_response(kOutlookRedirectUrl));
    CHECK(url["kind"] == "redirect_url");
    CHECK(url["schema"] == "outlook");
    // Same keys whatever the kind.
    CHECK(url.size() == set.size());
    CHECK(err.size() == set.size());
}

TEST_CASE("every truncation and random bytes never crash", "[autodiscover]") {
    for (const std::string* body : {&kSettings, &kOutlookSettings, &kTopLevelError600}) {
        for (std::size_t cut = 0; cut < body->size(); ++cut) {
            auto r = decode_autodiscover_response(std::string_view(*body).substr(0, cut));
            if (!r.ok()) CHECK(r.error->offset <= cut);
        }
    }
    for (std::size_t cut = 0; cut < kRequest.size(); ++cut) {
        auto r = decode_autodiscover_request(std::string_view(kRequest).substr(0, cut));
        if (!r.ok()) CHECK(r.error->offset <= cut);
    }
    std::mt19937 rng(99);
    for (int i = 0; i < 500; ++i) {
        std::string s = kSettings;
        for (int k = 0; k < 3; ++k) s[rng() % s.size()] = static_cast<char>(rng() & 0xFF);
        auto r = decode_autodiscover_response(s);
        if (!r.ok()) CHECK(r.error->offset <= s.size());
        (void)eas::to_json(r).dump();
    }
}
