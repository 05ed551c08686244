// eas-trace records: what makes a line a record, and the fields the list and stats read.
#include <catch2/catch.hpp>

#include "record.hpp"

using namespace eas::trace;

namespace {

// A 451 passed to a legacy device, as easproxy writes it (keys sorted).
const std::string k451 =
    R"J({"client":"127.0.0.1:32794","id":1,"redirect":{"decision":"pass","x_ms_location":"https://b.example/Microsoft-Server-ActiveSync"},)J"
    R"J("request":{"body":{"bytes":13,"kind":"wbxml","raw_base64":"AwFqAAAHVlIDMAABAQ=="},"eas":{"command":"FolderSync","command_code":9,"device_id":"LEGACY01","device_type":"WindowsMobile","form":"plain","parameters":[],"path":"/Microsoft-Server-ActiveSync","user":"alex","warnings":[]},)J"
    R"J("headers":[["Host","a.example"],["Authorization","Basic [redacted] (user alex)"],["Content-Type","application/vnd.ms-sync.wbxml"]],"method":"POST","target":"/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=alex&DeviceId=LEGACY01&DeviceType=WindowsMobile"},)J"
    R"J("response":{"body":{"bytes":0,"kind":"empty"},"headers":[["X-MS-Location","https://b.example/Microsoft-Server-ActiveSync"]],"reason":"Redirect","status":451,"status_meaning":"Redirect: use the URL in X-MS-Location"},)J"
    R"J("time":"2026-11-25T12:18:22.601Z","timings_ms":{"first_response_byte":1.49,"total":1.52,"upstream_connect":1.22},"upstream":"https://a.example","v":1})J";

// An OPTIONS that failed to connect: no response, easproxy answered 502.
const std::string kError =
    R"J({"client":"127.0.0.1:51982","error":{"answered":502,"reason":"connect to 127.0.0.1:1: Connection refused","stage":"upstream connect"},"id":3,)J"
    R"J("request":{"body":{"bytes":0,"kind":"empty"},"eas":{"command":"","device_id":"","device_type":"","form":"none","parameters":[],"path":"/Microsoft-Server-ActiveSync","user":"","warnings":[]},)J"
    R"J("headers":[["Authorization","Basic c2FtOlBhc3N3MHJk"]],"method":"OPTIONS","target":"/Microsoft-Server-ActiveSync"},"time":"2026-11-25T12:18:28.616Z","timings_ms":{"total":0.17},"upstream":"http://127.0.0.1:1","v":1})J";

}  // namespace

TEST_CASE("a 451 record: the fields of a list row") {
    const auto p = parse_line(k451);
    REQUIRE(p.error.empty());
    const auto& s = p.summary;
    CHECK(s.id == 1);
    CHECK(s.time_ms.has_value());
    CHECK(s.user == "alex");
    CHECK_FALSE(s.user_from_auth);
    CHECK(s.device_id == "LEGACY01");
    CHECK(s.device_type == "WindowsMobile");
    CHECK(s.command == "FolderSync");
    CHECK(s.http_status == 451);
    CHECK(s.device_status() == 451);
    CHECK_FALSE(s.eas_status.has_value());
    CHECK(s.total_ms == Approx(1.52));
    CHECK(s.bytes_up == 13);
    CHECK(s.bytes_down == 0);
    CHECK(s.has_redirect);
    CHECK(s.saw_451());
    CHECK(s.redirect_decision == "pass");
    CHECK(s.x_ms_location == "https://b.example/Microsoft-Server-ActiveSync");
    CHECK_FALSE(s.has_error);
}

TEST_CASE("an error record: easproxy's own status, OPTIONS as command, user from Authorization") {
    const auto p = parse_line(kError);
    REQUIRE(p.error.empty());
    const auto& s = p.summary;
    CHECK_FALSE(s.http_status.has_value());
    CHECK(s.answered == 502);
    CHECK(s.device_status() == 502);
    CHECK(s.command == "OPTIONS");
    CHECK(s.user == "sam");  // decoded from the Basic credentials a --trace-secrets trace kept
    CHECK(s.user_from_auth);
    CHECK(s.has_error);
    CHECK(s.error_stage == "upstream connect");
    CHECK_FALSE(s.saw_451());
}

TEST_CASE("lines that are not records say why") {
    CHECK_THAT(parse_line(R"J({"v":1,"id":)J").error, Catch::StartsWith("not JSON"));
    CHECK_THAT(parse_line("[1,2]").error, Catch::Contains("a JSON array, not an object"));
    CHECK_THAT(parse_line(R"J({"id":1})J").error, Catch::Contains("no \"v\""));
    CHECK_THAT(parse_line(R"J({"v":2})J").error,
               Catch::Contains("schema version 2 is not supported"));
    CHECK_THAT(parse_line(R"J({"v":"1"})J").error, Catch::Contains("schema version \"1\""));
    CHECK(parse_line("   ").error == "empty line");
    CHECK(parse_line(R"J({"v":1})J").error.empty());  // minimal, all else absent
}

TEST_CASE("fields of an unexpected type count as absent, not as a bad record") {
    const auto p = parse_line(
        R"J({"v":1,"id":"seven","time":5,"request":{"eas":{"user":["x"]},"body":{"bytes":-3}},"response":{"status":"200"}})J");
    REQUIRE(p.error.empty());
    CHECK_FALSE(p.summary.id.has_value());
    CHECK_FALSE(p.summary.time_ms.has_value());
    CHECK(p.summary.user.empty());
    CHECK(p.summary.bytes_up == 0);
    CHECK_FALSE(p.summary.http_status.has_value());
}

TEST_CASE("the user of an Authorization value, redacted or not") {
    CHECK(authorization_user("Basic [redacted] (user alex)") == "alex");
    CHECK(authorization_user("Basic [redacted] (user CONTOSO\\alex)") == "CONTOSO\\alex");
    CHECK(authorization_user("Basic YWxleDpQYXNzdzByZA==") == "alex");
    CHECK(authorization_user("Bearer abc") == "");
    CHECK(authorization_user("Basic !!!") == "");
}

TEST_CASE("header lookup is case-insensitive and skips malformed pairs") {
    const auto headers = nlohmann::json::parse(R"J([["x"],["content-type","a/b"],[1,2]])J");
    CHECK(header_value(headers, "Content-Type") == "a/b");
    CHECK_FALSE(header_value(headers, "Host").has_value());
}
