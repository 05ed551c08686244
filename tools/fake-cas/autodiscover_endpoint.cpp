#include "autodiscover_endpoint.hpp"

#include <ctime>

#include "autodiscover.hpp"
#include "wbxml_xml_writer.hpp"

namespace fakecas {
namespace {

std::string esc(std::string_view text) {
    std::string out;
    eas::wbxml::append_escaped(out, text);
    return out;
}

Response xml_response(std::string body, std::string note) {
    Response r;
    r.body = std::move(body);
    r.header("Content-Type", "text/xml; charset=utf-8");
    r.note = std::move(note);
    return r;
}

// The outer envelope every answer shares; `inner` is the Response element.
std::string envelope(const std::string& inner) {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Autodiscover xmlns=\"" +
           std::string(eas::kAutodiscoverResponseSchema) + "\">" + inner + "</Autodiscover>\r\n";
}

// 600 (unreadable request) and 601 (schema not served) come as Response/Error with Time and Id
// attributes, in the outer namespace, as Exchange sends them.
Response request_error(const std::string& code, const std::string& message) {
    char now[16];
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(now, sizeof now, "%H:%M:%S", &tm);
    return xml_response(envelope("<Response><Error Time=\"" + std::string(now) +
                                 "\" Id=\"1\"><ErrorCode>" + code + "</ErrorCode><Message>" +
                                 esc(message) + "</Message><DebugData /></Error></Response>"),
                        "Autodiscover error " + code + ": " + message);
}

// A mobilesync Response: Culture, User, then Action (Settings, Redirect or Error).
std::string mobilesync(const std::string& display_name, const std::string& email,
                       const std::string& action) {
    return envelope(
        "<Response xmlns=\"" + std::string(eas::kMobileSyncResponseSchema) +
        "\"><Culture>en:us</Culture><User>" +
        (display_name.empty() ? "" : "<DisplayName>" + esc(display_name) + "</DisplayName>") +
        "<EMailAddress>" + esc(email) + "</EMailAddress></User><Action>" + action +
        "</Action></Response>");
}

}  // namespace

Response handle_autodiscover(Runtime& rt, const Cas& cas, const eas::net::Message& msg) {
    if (msg.head.method != "POST")
        return request_error("600", "Invalid Request (Autodiscover takes a POST)");
    const auto request = eas::decode_autodiscover_request(msg.body);
    if (!request.ok() || request.email_address.empty())
        return request_error("600", "Invalid Request");
    if (!request.mobilesync_response_requested) {
        return request_error("601", "Provider is not available for the requested schema " +
                                        request.acceptable_response_schema);
    }

    const std::string& email = request.email_address;
    const User* user = email.find('@') == std::string::npos ? nullptr : rt.org.user_by_login(email);
    if (!user) {
        return xml_response(
            mobilesync("", email,
                       "<Error><Status>1</Status><Message>The email address can't be "
                       "found.</Message><DebugData /><ErrorCode>500</ErrorCode></Error>"),
            "Autodiscover: no mailbox for " + email + " (error 500)");
    }
    const auto& c = user->config;
    if (!c.autodiscover_redirect.empty()) {
        return xml_response(mobilesync(c.display_name, email,
                                       "<Redirect>" + esc(c.autodiscover_redirect) + "</Redirect>"),
                            "Autodiscover: " + email + " redirected to " + c.autodiscover_redirect);
    }
    // The EAS ExternalUrl of the mailbox's site; a site that is not internet-facing is reached
    // through the CAS asked (it proxies), as Exchange 2010 answers.
    const Cas* external = user->home->external_cas();
    const std::string url = external ? external->location() : cas.location();
    return xml_response(mobilesync(c.display_name, c.email,
                                   "<Settings><Server><Type>MobileSync</Type><Url>" + esc(url) +
                                       "</Url><Name>" + esc(url) + "</Name></Server></Settings>"),
                        "Autodiscover: " + email + " -> " + url);
}

}  // namespace fakecas
