#include "dispatch.hpp"

#include <array>

#include "autodiscover_endpoint.hpp"
#include "base64.hpp"
#include "handlers.hpp"
#include "wbxml_decoder.hpp"

namespace fakecas {

namespace wb = eas::wbxml;
using eas::http::iequals;

namespace {

constexpr std::array<std::string_view, 7> kVersions = {"2.5",  "12.0", "12.1", "14.0",
                                                       "14.1", "16.0", "16.1"};

Response plain(int status, std::string note) {
    Response r;
    r.status = status;
    r.note = std::move(note);
    return r;
}

Response unauthorized(const Cas& cas, std::string note) {
    Response r = plain(401, std::move(note));
    r.header("WWW-Authenticate", "Basic realm=\"" + cas.host + "\"");
    return r;
}

// "Basic base64(user:password)" -> user, password.
bool basic_credentials(const std::string* header, std::string& user, std::string& password) {
    if (!header || header->size() < 6 || !iequals(std::string_view(*header).substr(0, 6), "Basic "))
        return false;
    const auto decoded = eas::base64_decode(std::string_view(*header).substr(6));
    if (!decoded) return false;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    user = decoded->substr(0, colon);
    password = decoded->substr(colon + 1);
    return true;
}

bool is_send(const std::string& cmd) {
    return cmd == "SendMail" || cmd == "SmartReply" || cmd == "SmartForward";
}

}  // namespace

void add_common_headers(const Runtime& rt, Response& resp) {
    resp.header("MS-Server-ActiveSync", rt.org.config().eas.server_version);
    resp.header("Cache-Control", "private");
}

awaitable<Response> dispatch(Runtime& rt, Cas& cas, const eas::net::Message& msg,
                             asio::any_io_executor ex, RequestLog& log) {
    const auto& head = msg.head;
    const std::string path = head.target.substr(0, head.target.find('?'));
    const bool autodiscover = iequals(path, kAutodiscoverPath);
    if (!autodiscover && !iequals(path, "/Microsoft-Server-ActiveSync"))
        co_return plain(404, "not the ActiveSync path: " + path);

    const int retry_after = rt.org.config().scenario.retry_after;
    if (cas.site->down) {
        Response r = plain(503, "site " + cas.site->name + " is down");
        r.header("Retry-After", std::to_string(retry_after));
        co_return r;
    }

    // IIS authenticates before ActiveSync sees the request.
    std::string login, password;
    if (!basic_credentials(head.find("Authorization"), login, password)) {
        co_return unauthorized(cas, "no Basic credentials");
    }
    log.user = login;
    User* user = rt.org.user_by_login(login);
    if (!user) co_return unauthorized(cas, "unknown user " + login);
    if (user->config.password != password)
        co_return unauthorized(cas, "wrong password for " + login);
    log.user = user->config.name;
    if (autodiscover) {
        log.command = "Autodiscover";
        co_return handle_autodiscover(rt, cas, msg);
    }

    EasRequest r;
    r.rt = &rt;
    r.cas = &cas;
    r.executor = ex;
    r.head = &head;
    r.body = &msg.body;
    r.user = user;
    r.query = eas::parse_request_line(head.target);
    r.command = r.query.command;
    if (!r.query.device_id.empty()) log.device = r.query.device_id;
    if (!r.query.device_type.empty()) log.device_type = r.query.device_type;
    if (!r.command.empty()) log.command = r.command;
    if (r.command.empty() && head.method == "OPTIONS") log.command = "OPTIONS";
    std::string note;
    if (!r.query.user.empty() && rt.org.user_by_login(r.query.user) != user) {
        note =
            "User=" + r.query.user + " differs from the authenticated " + user->config.name + "; ";
    }

    // The 451 rule applies to every request of an authenticated user, OPTIONS included.
    const Route route = rt.org.route(cas, *user);
    if (route.kind == Route::Kind::Redirect) {
        Response resp = plain(451, note + "451 -> " + route.url + " (" + route.why + ")");
        resp.header("X-MS-Location", route.url);
        co_return resp;
    }
    if (route.kind == Route::Kind::Unavailable) {
        Response resp = plain(503, note + route.why);
        resp.header("Retry-After", std::to_string(retry_after));
        co_return resp;
    }
    if (route.kind == Route::Kind::Proxy) note += route.why + "; ";

    if (head.method == "OPTIONS") {
        Response resp = handle_options(r);
        resp.note = note + resp.note;
        co_return resp;
    }
    if (head.method != "POST")
        co_return plain(501, note + head.method + " is not an ActiveSync method");
    if (r.query.form == eas::QueryForm::None || r.command.empty())
        co_return plain(400, note + "no Cmd in the query");
    if (!r.query.ok()) co_return plain(400, note + "bad query: " + r.query.error->reason);
    if (r.query.device_id.empty()) co_return plain(400, note + "no DeviceId");
    if (r.query.device_type.empty()) co_return plain(400, note + "no DeviceType");

    // Version: the base64 query carries it, the plain form sends a header.
    if (r.query.protocol_version) {
        r.version = *r.query.protocol_version;
    } else if (const auto* v = head.find("MS-ASProtocolVersion")) {
        r.version = *v;
    } else {
        r.version = "14.1";
        note += "no MS-ASProtocolVersion, assuming 14.1; ";
    }
    bool known_version = false;
    for (auto v : kVersions) known_version = known_version || v == r.version;
    if (!known_version)
        co_return plain(400, note + "unsupported MS-ASProtocolVersion " + r.version);
    r.version_x10 = std::stoi(r.version.substr(0, r.version.find('.'))) * 10 +
                    std::stoi(r.version.substr(r.version.find('.') + 1));

    if (r.query.policy_key) {
        r.policy_key = r.query.policy_key;
    } else if (const auto* k = head.find("X-MS-PolicyKey"); k && !k->empty()) {
        try {
            r.policy_key = static_cast<std::uint32_t>(std::stoul(*k));
        } catch (const std::exception&) {
            note += "X-MS-PolicyKey is not a number; ";
        }
    }
    r.accept_multipart = r.query.accept_multipart.value_or(false) ||
                         iequals(head.value_or("MS-ASAcceptMultiPart"), "T");
    r.save_in_sent = r.query.save_in_sent.value_or(false);
    r.device = &user->mailbox.device(r.query.device_id, r.query.device_type);

    static const std::array<std::string_view, 10> kHandled = {
        "Provision", "FolderSync", "Sync",         "Ping",     "ItemOperations",
        "SendMail",  "SmartReply", "SmartForward", "Settings", "GetItemEstimate"};
    static const std::array<std::string_view, 4> kLegacy = {"GetHierarchy", "CreateCollection",
                                                            "DeleteCollection", "MoveCollection"};
    bool handled = false, legacy = false;
    for (auto c : kHandled) handled = handled || c == r.command;
    for (auto c : kLegacy) legacy = legacy || c == r.command;
    if (!handled) {
        // Commands Exchange knows but this simulation does not: 501, as for a server that
        // lists a command it cannot run. Names nobody knows: 400.
        if (r.query.command_code || legacy)
            co_return plain(501, note + r.command + " is not simulated");
        co_return plain(400, note + "unknown command " + r.command);
    }

    if (r.command != "Provision") {
        if (auto refused = check_policy(r)) {
            refused->note = note + refused->note;
            co_return std::move(*refused);
        }
    }

    // Bodies: WBXML, or raw MIME for SendMail & co. before 14.0. Anything else is garbage:
    // Status 102 (InvalidWBXML) from 14.0, HTTP 400 before (as Exchange 2007 did).
    const std::string content_type = head.value_or("Content-Type");
    if (!msg.body.empty()) {
        const bool rfc822 = content_type.find("message/rfc822") != std::string::npos;
        if (is_send(r.command) && r.version_x10 < 140 && rfc822) {
            // raw MIME: handled by handle_send_mail
        } else {
            auto decoded = wb::decode(msg.body);
            if (!decoded.ok() || !wb::looks_like_wbxml(msg.body)) {
                const std::string why = decoded.ok() ? "body is not WBXML"
                                                     : "invalid WBXML at byte " +
                                                           std::to_string(decoded.error->offset) +
                                                           ": " + decoded.error->reason;
                Response resp = r.version_x10 >= 140 ? command_status(r, 102) : plain(400, "");
                resp.note = note + why;
                co_return resp;
            }
            r.doc = std::move(decoded.document);
            r.body_is_wbxml = true;
        }
    }

    Response resp;
    try {
        if (r.command == "Provision") {
            resp = handle_provision(r);
        } else if (r.command == "FolderSync") {
            resp = handle_folder_sync(r);
        } else if (r.command == "Sync") {
            resp = co_await handle_sync(r);
        } else if (r.command == "Ping") {
            resp = co_await handle_ping(r);
        } else if (r.command == "ItemOperations") {
            resp = handle_item_operations(r);
        } else if (is_send(r.command)) {
            resp = handle_send_mail(r);
        } else if (r.command == "Settings") {
            resp = handle_settings(r);
        } else if (r.command == "GetItemEstimate") {
            resp = handle_get_item_estimate(r);
        }
    } catch (const std::exception& e) {
        resp = plain(500, std::string("internal error: ") + e.what());
    }
    resp.note = note + resp.note;
    co_return resp;
}

}  // namespace fakecas
