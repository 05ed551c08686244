// eas-trace's HAR export and the redaction it applies even to --trace-secrets traces.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "base64.hpp"
#include "har.hpp"
#include "har_writer.hpp"
#include "record.hpp"
#include "redact.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_xml_reader.hpp"

using namespace eas::trace;
using nlohmann::json;

namespace {

std::string wbxml_of(const std::string& xml) {
    auto doc = eas::wbxml::read_xml(xml);
    REQUIRE(doc.ok());
    auto bytes = eas::wbxml::encode(doc.document);
    REQUIRE(bytes.ok());
    return bytes.bytes;
}

const std::string kSettings = R"J(<Settings xmlns="Settings:">
  <DevicePassword><Set><Password>hunter2</Password></Set></DevicePassword>
</Settings>)J";

// Owns what a Record points at.
struct Holder {
    std::string file = "trace.jsonl";
    std::string line;
    json j;
    Summary s;
    Record r;
    explicit Holder(json record) : j(std::move(record)) {
        line = j.dump();
        s = summarize(j);
        r = Record{&file, 7, 3, line, &j, &s};
    }
};

// A --trace-bodies both --trace-secrets record of a Settings request setting a password.
json secrets_record() {
    const auto raw = wbxml_of(kSettings);
    return {
        {"v", 1},
        {"id", 5},
        {"time", "2026-11-25T12:00:00.000Z"},
        {"client", "127.0.0.1:40000"},
        {"upstream", "https://127.0.0.1:8443"},
        {"request",
         {{"method", "POST"},
          {"target",
           "/Microsoft-Server-ActiveSync?Cmd=Settings&User=alex&DeviceId=D1&DeviceType=iPhone"},
          {"headers",
           json::array({json::array({"Authorization", "Basic YWxleDpQYXNzdzByZA=="}),
                        json::array({"Cookie", "a=1; session=xyz"}),
                        json::array({"Content-Type", "application/vnd.ms-sync.wbxml"})})},
          {"eas",
           {{"command", "Settings"},
            {"user", "alex"},
            {"device_id", "D1"},
            {"device_type", "iPhone"},
            {"form", "plain"}}},
          {"body",
           {{"bytes", raw.size()},
            {"kind", "wbxml"},
            {"xml",
             "<Settings xmlns=\"Settings:\">\n  <DevicePassword>\n    <Set>\n      "
             "<Password>hunter2</Password>\n    </Set>\n  </DevicePassword>\n</Settings>\n"},
            {"raw_base64", eas::base64_encode(raw)}}}}},
        {"response",
         {{"status", 200},
          {"reason", "OK"},
          {"headers",
           json::array(
               {json::array({"Content-Type", "application/vnd.ms-sync.wbxml"}),
                json::array(
                    {"Set-Cookie",
                     "session=abc; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly"})})},
          {"body",
           {{"bytes", 3}, {"kind", "wbxml"}, {"raw_base64", eas::base64_encode("\x03\x01\x6a")}}},
          {"eas_status", {{"value", 1}, {"words", "Success"}}}}},
        {"timings_ms", {{"upstream_connect", 1.0}, {"first_response_byte", 3.0}, {"total", 4.5}}}};
}

}  // namespace

TEST_CASE("URL: upstream origin + target, absolute targets stay") {
    CHECK(har_url("https://cas.example", "/Microsoft-Server-ActiveSync?Cmd=Sync") ==
          "https://cas.example/Microsoft-Server-ActiveSync?Cmd=Sync");
    CHECK(har_url("https://cas.example/", "/x") == "https://cas.example/x");
    CHECK(har_url("http://127.0.0.1:1", "http://other/a") == "http://other/a");
}

TEST_CASE("query string: plain pairs percent-decoded, the base64 form is one name") {
    const auto q = har_query_string("/eas?Cmd=Sync&User=CONTOSO%5Calex&DeviceId=D1&Empty=");
    REQUIRE(q.size() == 4);
    CHECK(q[1] == json({{"name", "User"}, {"value", "CONTOSO\\alex"}}));
    CHECK(q[3]["value"] == "");
    const auto b = har_query_string("/eas?jAAJBAp2MTQw%3D");
    REQUIRE(b.size() == 1);
    CHECK(b[0]["name"] == "jAAJBAp2MTQw=");
    CHECK(b[0]["value"] == "");
    CHECK(har_query_string("/eas").empty());
}

TEST_CASE("timings: known parts, -1 where unknown, time is their sum") {
    double time = 0;
    const auto t = har_timings({{"upstream_queue", 2.0},
                                {"upstream_connect", 1.0},
                                {"first_response_byte", 5.0},
                                {"total", 9.0}},
                               &time);
    CHECK(t["blocked"] == 2.0);
    CHECK(t["connect"] == 1.0);
    CHECK(t["dns"] == -1);
    CHECK(t["ssl"] == -1);
    CHECK(t["send"] == 0);
    CHECK(t["wait"] == 2.0);
    CHECK(t["receive"] == 4.0);
    CHECK(time == 9.0);
    const auto failed = har_timings({{"total", 0.5}}, &time);
    CHECK(failed["blocked"] == -1);
    CHECK(failed["connect"] == -1);
    CHECK(failed["wait"] == 0.5);
    CHECK(time == 0.5);
    har_timings(json::object(), &time);
    CHECK(time == 0);
}

TEST_CASE("header redaction: Basic keeps its user, cookies keep their names") {
    CHECK(redact_header_value("Authorization", "Basic YWxleDpQYXNzdzByZA==") ==
          "Basic [redacted] (user alex)");
    CHECK(redact_header_value("authorization", "Basic [redacted] (user alex)") ==
          "Basic [redacted] (user alex)");
    CHECK(redact_header_value("Authorization", "Bearer eyJabc") == "Bearer [redacted]");
    CHECK(redact_header_value("Proxy-Authorization", "Basic YWxleDpQYXNzdzByZA==") ==
          "Basic [redacted] (user alex)");
    CHECK(redact_header_value("Cookie", "a=1; session=xyz") == "a=[redacted]; session=[redacted]");
    CHECK(redact_header_value("Set-Cookie", "session=abc; Path=/; HttpOnly") ==
          "session=[redacted]; Path=/; HttpOnly");
    CHECK(redact_header_value("Cookie", "[redacted]") == "[redacted]");
    CHECK(redact_header_value("User-Agent", "Apple-iPhone") == "Apple-iPhone");
}

TEST_CASE("XML redaction: Password content in any namespace form, the element kept") {
    bool found = false;
    CHECK(redact_xml_passwords("<Set><Password>hunter2</Password></Set>", &found) ==
          "<Set><Password>[redacted]</Password></Set>");
    CHECK(found);
    CHECK(redact_xml_passwords(R"J(<settings:Password a="1">x</settings:Password>)J") ==
          R"J(<settings:Password a="1">[redacted]</settings:Password>)J");
    CHECK(redact_xml_passwords("<Password encoding=\"base64\">aGk=</Password>") ==
          "<Password encoding=\"base64\">[redacted]</Password>");
    CHECK(redact_xml_passwords("<Password/><DevicePasswordEnabled>1</DevicePasswordEnabled>",
                               &found) ==
          "<Password/><DevicePasswordEnabled>1</DevicePasswordEnabled>");
    CHECK_FALSE(found);
    CHECK(redact_xml_passwords("<Password>[redacted]</Password>", &found) ==
          "<Password>[redacted]</Password>");
    CHECK_FALSE(found);  // easproxy already redacted it
    CHECK(redact_xml_passwords("<a><Password>cut off") == "<a><Password>[redacted]");
    CHECK(xml_has_password("<x><Password>p</Password></x>"));
    CHECK_FALSE(xml_has_password(
        "<!-- <Password> --><PasswordRecoveryEnabled>0</PasswordRecoveryEnabled>"));
}

TEST_CASE("a raw WBXML body is searched for Password elements") {
    const auto raw = wbxml_of(kSettings);
    CHECK(raw_body_has_password(raw, "application/vnd.ms-sync.wbxml", ""));
    CHECK(raw_body_has_password(raw, "", ""));  // sniffed
    CHECK_FALSE(raw_body_has_password(
        wbxml_of("<FolderSync xmlns=\"FolderHierarchy:\"><SyncKey>0</SyncKey></FolderSync>"),
        "application/vnd.ms-sync.wbxml", ""));
    CHECK(raw_body_has_password("<Autodiscover><Password>p</Password></Autodiscover>", "text/xml",
                                ""));
}

TEST_CASE("HAR entry from a --trace-secrets record: nothing secret survives") {
    Holder h(secrets_record());
    const auto e = har_entry(h.r, {});
    const auto text = e.dump();
    CHECK(text.find("hunter2") == std::string::npos);
    CHECK(text.find("YWxleDpQYXNzdzByZA") == std::string::npos);
    CHECK(text.find(h.j["request"]["body"]["raw_base64"].get<std::string>()) == std::string::npos);
    CHECK(text.find("xyz") == std::string::npos);

    const auto& req = e["request"];
    CHECK(req["method"] == "POST");
    CHECK(req["url"] ==
          "https://127.0.0.1:8443/"
          "Microsoft-Server-ActiveSync?Cmd=Settings&User=alex&DeviceId=D1&DeviceType=iPhone");
    CHECK(req["headers"][0]["value"] == "Basic [redacted] (user alex)");
    CHECK(req["cookies"] == json::array({{{"name", "a"}, {"value", "[redacted]"}},
                                         {{"name", "session"}, {"value", "[redacted]"}}}));
    const auto& post = req["postData"];
    CHECK_THAT(post["mimeType"].get<std::string>(), Catch::StartsWith("text/xml"));
    CHECK_THAT(post["text"].get<std::string>(), Catch::Contains("<Password>[redacted]</Password>"));
    CHECK_THAT(post["_note"].get<std::string>(), Catch::Contains("raw body withheld"));
    CHECK_THAT(post["_xml"].get<std::string>(), Catch::Contains("<Password>[redacted]</Password>"));
    CHECK_FALSE(post["_body"].contains("raw_base64"));

    const auto& resp = e["response"];
    CHECK(resp["status"] == 200);
    CHECK(resp["content"]["encoding"] == "base64");
    CHECK(resp["content"]["text"] == eas::base64_encode("\x03\x01\x6a"));
    CHECK(resp["content"]["size"] == 3);
    CHECK(resp["cookies"][0]["name"] == "session");
    CHECK(resp["cookies"][0]["value"] == "[redacted]");
    CHECK(resp["cookies"][0]["path"] == "/");
    CHECK(resp["cookies"][0]["httpOnly"] == true);
    CHECK(resp["cookies"][0]["expires"] == "2026-10-21T07:28:00.000Z");  // HAR wants ISO 8601

    CHECK(e["startedDateTime"] == "2026-11-25T12:00:00.000Z");
    CHECK(e["time"] == 4.5);
    CHECK(e["_eas"]["command"] == "Settings");
    CHECK(e["_easStatus"]["value"] == 1);
    CHECK(e["_flow"] == 3);
    CHECK(e["_source"] == "trace.jsonl:7");
    CHECK(e["serverIPAddress"] == "127.0.0.1");
    CHECK(e["connection"] == "40000");
}

TEST_CASE("keep secrets: the export has what the trace has") {
    Holder h(secrets_record());
    HarOptions keep;
    keep.keep_secrets = true;
    const auto e = har_entry(h.r, keep);
    CHECK(e["request"]["headers"][0]["value"] == "Basic YWxleDpQYXNzdzByZA==");
    CHECK(e["request"]["postData"]["text"] == h.j["request"]["body"]["raw_base64"]);
    CHECK(e["request"]["postData"]["_encoding"] == "base64");
    CHECK_THAT(e["request"]["postData"]["_xml"].get<std::string>(), Catch::Contains("hunter2"));
}

TEST_CASE("a 451 entry points redirectURL at X-MS-Location, decoded XML stands in for raw") {
    json r = {{"v", 1},
              {"time", "2026-11-25T12:00:00.000Z"},
              {"upstream", "https://a.example"},
              {"request",
               {{"method", "POST"},
                {"target", "/Microsoft-Server-ActiveSync?Cmd=FolderSync"},
                {"headers",
                 json::array({json::array({"Content-Type", "application/vnd.ms-sync.wbxml"})})},
                {"body", {{"bytes", 13}, {"kind", "wbxml"}, {"xml", "<FolderSync/>\n"}}}}},
              {"response",
               {{"status", 451},
                {"reason", "Redirect"},
                {"headers", json::array({json::array({"X-MS-Location", "https://b.example/eas"})})},
                {"body", {{"bytes", 0}, {"kind", "empty"}}}}},
              {"redirect", {{"decision", "pass"}, {"x_ms_location", "https://b.example/eas"}}}};
    Holder h(r);
    const auto e = har_entry(h.r, {});
    CHECK(e["response"]["redirectURL"] == "https://b.example/eas");
    CHECK(e["_redirect"]["decision"] == "pass");
    CHECK(e["request"]["postData"]["text"] == "<FolderSync/>\n");
    CHECK_THAT(e["request"]["postData"]["mimeType"].get<std::string>(),
               Catch::Contains("x-eas-decoded-from=\"application/vnd.ms-sync.wbxml\""));
    CHECK_THAT(e["request"]["postData"]["_note"].get<std::string>(),
               Catch::Contains("decoded to XML by easproxy"));
    CHECK_FALSE(e["response"]["content"].contains("text"));
    CHECK(e["response"]["content"]["mimeType"] == "x-unknown");
    CHECK_FALSE(e.contains("serverIPAddress"));  // a name, not an address
}

TEST_CASE("an entry without an upstream answer: easproxy's status, -1 body size") {
    json r = {{"v", 1},
              {"time", "2026-11-25T12:00:00.000Z"},
              {"upstream", "http://127.0.0.1:1"},
              {"request",
               {{"method", "GET"}, {"target", "/a"}, {"body", {{"bytes", 0}, {"kind", "empty"}}}}},
              {"error", {{"answered", 502}, {"stage", "upstream connect"}, {"reason", "refused"}}},
              {"timings_ms", {{"total", 0.17}}}};
    Holder h(r);
    const auto e = har_entry(h.r, {});
    CHECK(e["response"]["status"] == 502);
    CHECK(e["response"]["statusText"] == "Bad Gateway");
    CHECK(e["response"]["bodySize"] == -1);
    CHECK(e["_error"]["stage"] == "upstream connect");
    CHECK_FALSE(e["request"].contains("postData"));
}

TEST_CASE("the HAR file appears whole, under its name, only on commit") {
    const auto dir =
        std::filesystem::temp_directory_path() / ("eas-trace-har-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = (dir / "out.har").string();
    {
        HarWriter w(path);
        std::string error;
        REQUIRE(w.open("9.9", error));
        REQUIRE(w.add({{"a", 1}}, error));
        REQUIRE(w.add({{"a", 2}}, error));
        CHECK_FALSE(std::filesystem::exists(path));
        REQUIRE(w.commit(error));
        CHECK(w.entries() == 2);
    }
    std::ifstream in(path);
    const auto har = json::parse(in);
    CHECK(har["log"]["version"] == "1.2");
    CHECK(har["log"]["creator"]["name"] == "eas-trace");
    CHECK(har["log"]["entries"].size() == 2);
    {
        HarWriter abandoned((dir / "never.har").string());
        std::string error;
        REQUIRE(abandoned.open("9.9", error));
    }
    std::size_t files = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir)) {
        (void)f;
        ++files;
    }
    CHECK(files == 1);  // no temporary left behind, no never.har
    {
        HarWriter empty((dir / "empty.har").string());
        std::string error;
        REQUIRE(empty.open("9.9", error));
        REQUIRE(empty.commit(error));
    }
    std::ifstream in2(dir / "empty.har");
    CHECK(json::parse(in2)["log"]["entries"].empty());
    std::filesystem::remove_all(dir);
}
