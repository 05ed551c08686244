// The trace record's bodies (decoded XML, raw base64, secrets) and the JSON log lines.
#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <unistd.h>

#include "base64.hpp"
#include "redactor.hpp"
#include "flow_log.hpp"
#include "flow_record.hpp"
#include "log_setup.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_xml_reader.hpp"
#include "wbxml_xml_writer.hpp"

using namespace eas::proxy;

namespace {

std::string wbxml_of(const std::string& xml) {
    auto doc = eas::wbxml::read_xml(xml);
    REQUIRE(doc.ok());
    auto bytes = eas::wbxml::encode(doc.document);
    REQUIRE(bytes.ok());
    return bytes.bytes;
}

const std::string kSettingsWithPassword = R"(<Settings xmlns="Settings:">
  <DevicePassword><Set><Password>hunter2</Password></Set></DevicePassword>
</Settings>)";

Flow settings_flow() {
    Flow f;
    f.request.method = "POST";
    f.request.target =
        "/Microsoft-Server-ActiveSync?Cmd=Settings&User=alex&DeviceId=D1&DeviceType=iPhone";
    f.request.headers = {{"Content-Type", "application/vnd.ms-sync.wbxml"},
                         {"Authorization", "Basic YWxleDpQYXNzdzByZA=="}};
    f.eas = eas::parse_request_line(f.request.target);
    f.request_body.append(wbxml_of(kSettingsWithPassword), 1 << 20);
    f.finished = std::chrono::milliseconds(3);
    return f;
}

}  // namespace

TEST_CASE("a Password element keeps its place, its content redacted") {
    const eas::redact::Redactor secrets(eas::redact::Level::Secrets, eas::redact::random_key());
    const auto doc = eas::wbxml::read_xml(kSettingsWithPassword).document;
    REQUIRE(secrets.affects(doc));
    const auto redacted = secrets.redact(doc);
    CHECK_FALSE(secrets.affects(eas::wbxml::read_xml("<Settings xmlns=\"Settings:\"/>").document));
    const auto xml = eas::wbxml::to_xml(redacted);
    CHECK_THAT(xml, Catch::Contains("<Password>[redacted]</Password>"));
    CHECK_THAT(xml, !Catch::Contains("hunter2"));
    CHECK_THAT(xml, Catch::Contains("<DevicePassword>"));
}

TEST_CASE("the trace shows a body as decoded XML, with the password redacted by default") {
    const auto j = flow_record(settings_flow(), {});
    const auto& body = j["request"]["body"];
    REQUIRE(body.contains("xml"));
    CHECK_THAT(body["xml"].get<std::string>(), Catch::Contains("<Password>[redacted]</Password>"));
    CHECK_FALSE(body.contains("raw_base64"));
    CHECK(j.dump().find("hunter2") == std::string::npos);
    CHECK(j.dump().find("YWxleDpQYXNzdzByZA") == std::string::npos);
}

TEST_CASE("trace bodies raw: withholds a body carrying a password unless secrets are kept") {
    RecordOptions o;
    o.decoded_bodies = false;
    o.raw_bodies = true;
    auto j = flow_record(settings_flow(), o);
    CHECK_FALSE(j["request"]["body"].contains("xml"));
    CHECK_FALSE(j["request"]["body"].contains("raw_base64"));
    CHECK(j["request"]["body"].contains("raw_withheld"));

    o.keep_secrets = true;
    j = flow_record(settings_flow(), o);
    REQUIRE(j["request"]["body"].contains("raw_base64"));
    const auto raw = eas::base64_decode(j["request"]["body"]["raw_base64"].get<std::string>());
    REQUIRE(raw);
    CHECK(*raw == wbxml_of(kSettingsWithPassword));
}

TEST_CASE("trace bodies both: keeps XML and the exact bytes of an ordinary body") {
    Flow f;
    f.request.method = "POST";
    f.request.target =
        "/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=alex&DeviceId=D1&DeviceType=iPhone";
    f.request.headers = {{"Content-Type", "application/vnd.ms-sync.wbxml"}};
    const auto bytes =
        wbxml_of("<FolderSync xmlns=\"FolderHierarchy:\"><SyncKey>0</SyncKey></FolderSync>");
    f.request_body.append(bytes, 1 << 20);
    RecordOptions o;
    o.raw_bodies = true;
    const auto j = flow_record(f, o);
    CHECK_THAT(j["request"]["body"]["xml"].get<std::string>(),
               Catch::Contains("<SyncKey>0</SyncKey>"));
    CHECK(eas::base64_decode(j["request"]["body"]["raw_base64"].get<std::string>()) == bytes);

    o.decoded_bodies = false;
    o.raw_bodies = false;
    const auto none = flow_record(f, o);
    CHECK_FALSE(none["request"]["body"].contains("xml"));
    CHECK_FALSE(none["request"]["body"].contains("raw_base64"));
    CHECK(none["request"]["body"]["bytes"] == bytes.size());
}

TEST_CASE("JSON log format: one object per line with the flow's fields") {
    std::string error;
    const std::string path = "/tmp/easproxy-test-log-" + std::to_string(::getpid()) + ".jsonl";
    std::remove(path.c_str());
    {
        auto log = make_log("json", path, "info", error);
        REQUIRE(log);
        FlowLog flow_log(log->logger, {});
        Flow f = settings_flow();
        eas::http::MessageHead r;
        r.is_request = false;
        r.status = 451;
        r.headers = {{"X-MS-Location", "https://b.example/Microsoft-Server-ActiveSync"}};
        f.response = r;
        f.ms_location = "https://b.example/Microsoft-Server-ActiveSync";
        f.redirect_decision = "pass";
        flow_log.response_complete(f);
        log->logger->info("not about a flow: \xff bad UTF-8");
        log->logger->flush();
        spdlog::drop("easproxy");
    }
    std::ifstream in(path);
    std::string line;
    REQUIRE(std::getline(in, line));
    const auto j = nlohmann::json::parse(line);
    CHECK(j["level"] == "warning");
    CHECK(j["user"] == "alex");
    CHECK(j["device_id"] == "D1");
    CHECK(j["command"] == "Settings");
    CHECK(j["http_status"] == 451);
    CHECK(j["x_ms_location"] == "https://b.example/Microsoft-Server-ActiveSync");
    CHECK_THAT(j["msg"].get<std::string>(), Catch::Contains("HTTP 451"));
    REQUIRE(std::getline(in, line));
    const auto plain = nlohmann::json::parse(line);
    CHECK_FALSE(plain.contains("user"));  // fields end with the flow's lines
    std::remove(path.c_str());
}
