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

TEST_CASE("a body announced over the decode limit keeps a prefix, not the limit's worth") {
    const std::size_t limit = 4 << 20;
    const std::string mb(1 << 20, 'x');
    Flow f = settings_flow();
    f.response_body.announce(std::uint64_t{100} << 20, limit);
    for (int i = 0; i < 100; ++i) f.response_body.append(mb, limit);
    CHECK(f.response_body.kept.size() == BodyCapture::oversize_prefix);
    CHECK(f.response_body.bytes == std::uint64_t{100} << 20);
    eas::http::MessageHead r;
    r.is_request = false;
    r.status = 200;
    f.response = r;
    const auto j = flow_record(f, RecordOptions{});
    CHECK(j["response"]["body"]["note"] ==
          "body not decoded: " + std::to_string((std::uint64_t{100} << 20) - limit) +
              " bytes over the 4194304-byte limit");

    // Without a Content-Length (chunked), the limit's worth is kept, as before.
    BodyCapture chunked;
    chunked.announce(std::nullopt, limit);
    for (int i = 0; i < 5; ++i) chunked.append(mb, limit);
    CHECK(chunked.kept.size() == limit);
    CHECK(chunked.truncated);
}

TEST_CASE("the response is decoded once: the log's summary and the trace record share it") {
    Flow f = settings_flow();
    eas::http::MessageHead r;
    r.is_request = false;
    r.status = 200;
    r.headers = {{"Content-Type", "application/vnd.ms-sync.wbxml"}};
    f.response = r;
    f.response_body.append(wbxml_of("<FolderSync xmlns=\"FolderHierarchy:\"><Status>1</Status>"
                                    "<SyncKey>2</SyncKey></FolderSync>"),
                           1 << 20);
    const Flow untouched = f;
    const RecordOptions o;
    CHECK_FALSE(f.decoded_response);
    const auto summary = summarize(f, o);
    REQUIRE(summary.status);
    CHECK(summary.status->value == 1);
    REQUIRE(f.decoded_response);
    const Flow copy = f;  // what the trace writer gets
    CHECK(copy.decoded_response == f.decoded_response);
    CHECK(flow_record(copy, o) == flow_record(untouched, o));
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

namespace {

// A Sync response carrying a MIME body (Type 4), a contact picture and a compressed RTF note.
Flow nested_flow() {
    const std::string mime =
        "From: \"Casey\" <casey@example.com>\r\nTo: sam@contoso.com\r\nSubject: Report\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
        "--b1\r\nContent-Type: application/pdf; name=\"q3.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n";
    // 1x1 PNG header: signature and IHDR are what the sniffer reads.
    const std::string png =
        std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0", 29);
    // Compressed RTF in its uncompressed form ("MELA"): the 16-byte header, then the RTF.
    const std::string rtf = "{\\rtf1\\ansi Quarterly plan\\par}";
    std::string mela;
    auto le32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) mela.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    le32(static_cast<std::uint32_t>(rtf.size() + 12));
    le32(static_cast<std::uint32_t>(rtf.size()));
    le32(0x414c454d);
    le32(0);
    mela += rtf;
    std::string xml =
        R"(<Sync xmlns="AirSync:" xmlns:airsyncbase="AirSyncBase:" xmlns:contacts="Contacts:"><Collections><Collection>
<SyncKey>2</SyncKey><CollectionId>2</CollectionId><Status>1</Status><Commands>
<Add><ServerId>2:1</ServerId><ApplicationData><airsyncbase:Body><airsyncbase:Type>4</airsyncbase:Type>
<airsyncbase:Data>)";
    for (char c : mime) {
        if (c == '&')
            xml += "&amp;";
        else if (c == '<')
            xml += "&lt;";
        else if (c == '>')
            xml += "&gt;";
        else if (c == '\r')
            xml += "&#13;";
        else
            xml += c;
    }
    xml +=
        "</airsyncbase:Data></airsyncbase:Body></ApplicationData></Add>"
        "<Add><ServerId>9:1</ServerId><ApplicationData><contacts:Picture>" +
        eas::base64_encode(png) + "</contacts:Picture><contacts:CompressedRTF>" +
        eas::base64_encode(mela) +
        "</contacts:CompressedRTF></ApplicationData></Add></Commands></Collection></Collections></"
        "Sync>";
    Flow f;
    f.request.method = "POST";
    f.request.target =
        "/Microsoft-Server-ActiveSync?Cmd=Sync&User=sam&DeviceId=D1&DeviceType=iPhone";
    f.eas = eas::parse_request_line(f.request.target);
    eas::http::MessageHead r;
    r.is_request = false;
    r.status = 200;
    r.headers = {{"Content-Type", "application/vnd.ms-sync.wbxml"}};
    f.response = r;
    f.response_body.append(wbxml_of(xml), 1 << 20);
    return f;
}

}  // namespace

TEST_CASE("nested payloads: a MIME tree, a picture summary and RTF text where content is kept") {
    const auto j = flow_record(nested_flow(), {});
    const auto& nested = j["response"]["body"]["nested"];
    REQUIRE(nested.is_array());
    REQUIRE(nested.size() == 3);
    CHECK(nested[0]["kind"] == "mime");
    CHECK(nested[0]["element"] == "AirSyncBase:Data");
    CHECK_THAT(nested[0]["tree"].get<std::string>(), Catch::Contains("multipart/mixed"));
    CHECK_THAT(nested[0]["tree"].get<std::string>(), Catch::Contains("application/pdf"));
    CHECK_THAT(nested[0].dump(), Catch::Contains("Report"));
    CHECK(nested[1]["element"] == "Contacts:Picture");
    CHECK_THAT(nested[1]["description"].get<std::string>(), Catch::Contains("PNG image 1x1"));
    CHECK(nested[2]["kind"] == "compressed_rtf");
    CHECK_THAT(nested[2]["text_preview"].get<std::string>(), Catch::Contains("Quarterly plan"));
}

TEST_CASE("nested payloads are left out where --redact hides content") {
    RecordOptions o;
    o.redactor = std::make_shared<eas::redact::Redactor>(eas::redact::Level::Content,
                                                         eas::redact::random_key());
    const auto j = flow_record(nested_flow(), o);
    CHECK_FALSE(j["response"]["body"].contains("nested"));
    CHECK(j.dump().find("Quarterly") == std::string::npos);
    CHECK(j.dump().find("Report") == std::string::npos);
}
