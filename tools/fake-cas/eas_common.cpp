// Helpers shared by the command handlers: WBXML responses, the per-command Status answer,
// holding a request, and rendering an email in the shape the client's version expects.
#include <array>
#include <cstring>

#include "handlers.hpp"
#include "wbxml_xml_writer.hpp"
#include "wbxml_decoder.hpp"

namespace fakecas {

namespace wb = eas::wbxml;

namespace {

constexpr std::array<CommandRoot, 19> kRoots = {{
    {"Sync", "AirSync", "Sync"},
    {"SendMail", "ComposeMail", "SendMail"},
    {"SmartForward", "ComposeMail", "SmartForward"},
    {"SmartReply", "ComposeMail", "SmartReply"},
    {"FolderSync", "FolderHierarchy", "FolderSync"},
    {"FolderCreate", "FolderHierarchy", "FolderCreate"},
    {"FolderDelete", "FolderHierarchy", "FolderDelete"},
    {"FolderUpdate", "FolderHierarchy", "FolderUpdate"},
    {"MoveItems", "Move", "MoveItems"},
    {"GetItemEstimate", "GetItemEstimate", "GetItemEstimate"},
    {"MeetingResponse", "MeetingResponse", "MeetingResponse"},
    {"Search", "Search", "Search"},
    {"Settings", "Settings", "Settings"},
    {"Ping", "Ping", "Ping"},
    {"ItemOperations", "ItemOperations", "ItemOperations"},
    {"Provision", "Provision", "Provision"},
    {"ResolveRecipients", "ResolveRecipients", "ResolveRecipients"},
    {"ValidateCert", "ValidateCert", "ValidateCert"},
    {"Find", "Find", "Find"},
}};

// Text into XML content: the decoders' escaping (also keeps CR, which XML parsers drop).
std::string html_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 16);
    eas::wbxml::append_escaped(out, s);
    return out;
}

// Cuts at most `limit` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(const std::string& s, std::uint64_t limit) {
    if (s.size() <= limit) return s;
    std::size_t n = static_cast<std::size_t>(limit);
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

std::string display_part(const std::string& address) {
    // "\"Alex Example\" <alex@contoso.com>" -> Alex Example
    const auto lt = address.find('<');
    std::string name = lt == std::string::npos ? address : address.substr(0, lt);
    while (!name.empty() && (name.back() == ' ' || name.back() == '"')) name.pop_back();
    while (!name.empty() && (name.front() == ' ' || name.front() == '"')) name.erase(0, 1);
    return name.empty() ? address : name;
}

// "2025-03-14T09:21:07.000Z" -> "14 Mar 2025 09:21:07 +0000" (RFC 5322 without the weekday).
std::string rfc5322_date(const std::string& iso) {
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (iso.size() < 19) return iso;
    const int month = std::atoi(iso.substr(5, 2).c_str());
    if (month < 1 || month > 12) return iso;
    return iso.substr(8, 2) + " " + kMonths[month - 1] + " " + iso.substr(0, 4) + " " +
           iso.substr(11, 8) + " +0000";
}

}  // namespace

const CommandRoot* command_root(const std::string& command) {
    for (const auto& r : kRoots) {
        if (command == r.command) return &r;
    }
    return nullptr;
}

Response wbxml_response(const std::string& xml, std::optional<int> eas_status) {
    Response resp;
    resp.body = to_wbxml(xml);
    resp.header("Content-Type", kWbxmlType);
    resp.eas_status = eas_status;
    return resp;
}

Response command_status(const EasRequest& r, int status) {
    const auto* root = command_root(r.command);
    if (!root) {
        Response resp;
        resp.status = 400;
        resp.eas_status = status;
        return resp;
    }
    Xml x(root->root, root->ns);
    x.leaf("Status", static_cast<std::uint64_t>(status));
    return wbxml_response(x.finish(), status);
}

bool still_served(const EasRequest& r) {
    if (r.rt->stopped || r.cas->site->down) return false;
    const auto kind = r.rt->org.route(*r.cas, *r.user).kind;
    return kind == Route::Kind::Serve || kind == Route::Kind::Proxy;
}

awaitable<bool> wait_for_change(EasRequest& r, std::chrono::steady_clock::time_point deadline) {
    if (!still_served(r) || std::chrono::steady_clock::now() >= deadline) co_return false;
    // One timer per held request, cancelled by whichever signal fires first: thousands of held
    // Pings cost a timer and a coroutine frame each, no thread.
    auto timer = std::make_shared<asio::steady_timer>(r.executor, deadline);
    auto wake = [timer] { timer->cancel(); };
    auto on_mail = r.user->mailbox.changed().subscribe(wake);
    auto on_topology = r.rt->topology.subscribe(wake);
    auto on_stop = r.rt->stopping.subscribe(wake);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(eas::net::use_awaitable, ec));
    co_return still_served(r);
}

BodyPreference read_body_preference(const wb::Document& d, std::uint32_t options) {
    BodyPreference p;
    const auto pref = child(d, options, tag("AirSyncBase", "BodyPreference"));
    if (pref != wb::kNoNode) {
        if (auto t = child_text(d, pref, tag("AirSyncBase", "Type")))
            p.type = std::atoi(t->c_str());
        if (auto t = child_text(d, pref, tag("AirSyncBase", "TruncationSize"))) {
            p.truncation = std::strtoull(t->c_str(), nullptr, 10);
        }
    } else if (auto t = child_text(d, options, tag("AirSync", "MIMESupport")); t && *t == "2") {
        p.type = 4;
    } else if (auto tr = child_text(d, options, tag("AirSync", "Truncation"))) {
        // 2.5 truncation codes: 0 = headers only ... 8 = all; roughly bytes.
        static const std::uint64_t kSizes[] = {0, 512, 1024, 2048, 5120, 10240, 20480, 51200};
        const int code = std::atoi(tr->c_str());
        if (code >= 0 && code < 8) p.truncation = kSizes[code];
    }
    if (p.type != 1 && p.type != 2 && p.type != 4) p.type = 1;  // RTF (3) and unknown: plain
    return p;
}

std::string item_mime(const Item& it) {
    if (!it.mime.empty()) return it.mime;
    std::string m;
    m += "From: " + it.from + "\r\n";
    m += "To: " + it.to + "\r\n";
    if (!it.cc.empty()) m += "Cc: " + it.cc + "\r\n";
    m += "Subject: " + it.subject + "\r\n";
    m += "Date: " + rfc5322_date(it.date) + "\r\n";
    m += "Message-ID: <" + it.server_id + ".fake-cas@example.com>\r\n";
    m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
    m += it.body;
    return m;
}

void render_email(Xml& x, const Item& it, const EasRequest& r, const BodyPreference& pref) {
    x.leaf("email:To", it.to);
    if (!it.cc.empty()) x.leaf("email:Cc", it.cc);
    x.leaf("email:From", it.from);
    x.leaf("email:Subject", it.subject);
    x.leaf("email:DateReceived", it.date);
    x.leaf("email:DisplayTo", display_part(it.to));
    x.leaf("email:ThreadTopic", it.subject);
    x.leaf("email:Importance", 1);
    x.leaf("email:Read", it.read ? 1 : 0);

    std::string data;
    switch (pref.type) {
        case 2:
            data = "<html><body><pre>" + html_escape(it.body) + "</pre></body></html>";
            break;
        case 4:
            data = item_mime(it);
            break;
        default:
            data = it.body;
    }
    const std::uint64_t full = data.size();
    bool truncated = false;
    if (pref.truncation && data.size() > *pref.truncation) {
        data = truncate_utf8(data, *pref.truncation);
        truncated = true;
    }

    if (r.version_x10 < 120) {
        // EAS 2.5: everything on the Email page.
        if (!it.attachments.empty()) {
            x.open("email:Attachments");
            for (const auto& a : it.attachments) {
                x.open("email:Attachment")
                    .leaf("email:DisplayName", a.display_name)
                    .leaf("email:AttName", a.file_reference)
                    .leaf("email:AttSize", a.size)
                    .leaf("email:AttMethod", 1)
                    .close();
            }
            x.close();
        }
        x.leaf("email:Body", data);
        x.leaf("email:BodyTruncated", truncated ? 1 : 0);
        x.leaf("email:MessageClass", "IPM.Note");
        return;
    }
    if (!it.attachments.empty()) {
        x.open("airsyncbase:Attachments");
        for (const auto& a : it.attachments) {
            x.open("airsyncbase:Attachment")
                .leaf("airsyncbase:DisplayName", a.display_name)
                .leaf("airsyncbase:FileReference", a.file_reference)
                .leaf("airsyncbase:Method", 1)
                .leaf("airsyncbase:EstimatedDataSize", a.size)
                .close();
        }
        x.close();
    }
    x.open("airsyncbase:Body")
        .leaf("airsyncbase:Type", static_cast<std::uint64_t>(pref.type))
        .leaf("airsyncbase:EstimatedDataSize", full)
        .leaf("airsyncbase:Truncated", truncated ? 1 : 0)
        .leaf("airsyncbase:Data", data)
        .close();
    x.leaf("email:MessageClass", "IPM.Note");
    x.leaf("email:InternetCPID", 65001);
    x.leaf("email:ContentClass", "urn:content-classes:message");
    x.leaf("airsyncbase:NativeBodyType", 1);
}

}  // namespace fakecas
