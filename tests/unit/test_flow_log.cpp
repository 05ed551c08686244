// Log lines for humans, checked against a captured logger.
#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "flow_log.hpp"

using namespace eas::proxy;

namespace {
struct Captured {
    std::ostringstream out;
    std::shared_ptr<spdlog::logger> log;
    Captured() {
        log = std::make_shared<spdlog::logger>(
            "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
        log->set_pattern("%l %v");
    }
};

Flow flow_for(const std::string& target, int status) {
    Flow f;
    f.request.method = "POST";
    f.request.target = target;
    f.eas = eas::parse_request_line(target);
    eas::http::MessageHead r;
    r.is_request = false;
    r.status = status;
    f.response = r;
    f.finished = std::chrono::milliseconds(12);
    return f;
}
}  // namespace

TEST_CASE("a 451 is a warning naming user, device, X-MS-Location and the decision") {
    Captured c;
    FlowLog log(c.log, {});
    auto f = flow_for(
        "/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=alex&DeviceId=WM1&DeviceType="
        "WindowsMobile",
        451);
    f.ms_location = "https://mail2.contoso.com/Microsoft-Server-ActiveSync";
    f.redirect_decision = "pass";
    log.response_complete(f);
    CHECK_THAT(c.out.str(), Catch::StartsWith("warning alex WM1 WindowsMobile FolderSync -> 451"));
    CHECK_THAT(
        c.out.str(),
        Catch::Contains("X-MS-Location https://mail2.contoso.com/Microsoft-Server-ActiveSync"));
    CHECK_THAT(c.out.str(), Catch::Contains("decision: pass"));
}

TEST_CASE("Autodiscover redirects are logged as loudly as 451") {
    Captured c;
    FlowLog log(c.log, {});
    auto f = flow_for("/autodiscover/autodiscover.xml", 200);
    f.response->headers = {{"Content-Type", "text/xml"}};
    f.response_body.append(R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
  <Culture>en:us</Culture><User><EMailAddress>alex@contoso.com</EMailAddress></User>
  <Action><Redirect>alex@fabrikam.com</Redirect></Action>
 </Response></Autodiscover>)",
                           1 << 20);
    log.response_complete(f);
    CHECK_THAT(c.out.str(), Catch::Contains("warning"));
    CHECK_THAT(
        c.out.str(),
        Catch::Contains(
            "Autodiscover Redirect (new e-mail address): the device is sent to alex@fabrikam.com"));

    Captured c2;
    FlowLog log2(c2.log, {});
    auto hop = flow_for("/autodiscover/autodiscover.xml", 302);
    hop.response->headers = {
        {"Location", "https://autodiscover.fabrikam.com/autodiscover/autodiscover.xml"}};
    log2.response_complete(hop);
    CHECK_THAT(c2.out.str(),
               Catch::Contains("Autodiscover HTTP 302 to https://autodiscover.fabrikam.com/"));
}

TEST_CASE("errors say where and why; 449 is explained") {
    Captured c;
    FlowLog log(c.log, {});
    auto f =
        flow_for("/Microsoft-Server-ActiveSync?Cmd=Ping&User=sam&DeviceId=D&DeviceType=iPhone", 0);
    f.response.reset();
    f.error_stage = "upstream connect";
    f.error = "connect to cas:443: Connection refused";
    f.synthesized_status = 502;
    log.error(f);
    CHECK_THAT(c.out.str(), Catch::Contains("error sam D iPhone Ping -> 502 (answered by easproxy) "
                                            "| upstream connect: connect to cas:443"));
    Captured c2;
    FlowLog log2(c2.log, {});
    log2.response_complete(flow_for(
        "/Microsoft-Server-ActiveSync?Cmd=Sync&User=sam&DeviceId=D&DeviceType=iPhone", 449));
    CHECK_THAT(c2.out.str(), Catch::Contains("Provision"));
}
