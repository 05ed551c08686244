#include "eas_requests.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "base64.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::device {
namespace {

constexpr const char* kWbxmlType = "application/vnd.ms-sync.wbxml";

std::string esc(std::string_view text) {
    std::string out;
    wbxml::append_escaped(out, text);
    return out;
}

// RFC 3986 unreserved characters stay, everything else is %XX: DOMAIN\user becomes DOMAIN%5Cuser.
std::string percent_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

bool encode(const std::string& command, const std::string& xml, EasRequest& out,
            std::string& error) {
    auto r = wbxml::encode_xml(xml);
    if (!r.ok()) {
        error = command + " request does not encode: " + r.error->reason + " (XML byte " +
                std::to_string(r.error->offset) + ")";
        return false;
    }
    out.command = command;
    out.body = std::move(r.bytes);
    out.content_type = kWbxmlType;
    return true;
}

std::string policy_type(const Identity& o) {
    // 2.5 asks for the XML policy document; 12.0 and later for the WBXML one (MS-ASPROV).
    return version_at_least(o.eas_version, 12.0) ? "MS-EAS-Provisioning-WBXML"
                                                 : "MS-WAP-Provisioning-XML";
}

std::string rfc822_date() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char out[64];
    std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return out;
}

}  // namespace

bool version_at_least(const std::string& version, double min) {
    return std::strtod(version.c_str(), nullptr) + 1e-9 >= min;
}

bool build_head(const Identity& o, const EasRequest& request, const Url& url,
                std::optional<std::uint32_t> policy_key, http::MessageHead& head,
                std::string& error) {
    head = http::MessageHead{};
    head.is_request = true;
    const bool options = request.command == "Options";
    const bool plain = o.query == QueryStyle::Plain;
    head.method = options ? "OPTIONS" : "POST";
    head.target = url.path;
    if (!options) {
        if (plain) {
            head.target += "?Cmd=" + request.command + "&User=" + percent_encode(o.user) +
                           "&DeviceId=" + percent_encode(o.device_id) +
                           "&DeviceType=" + percent_encode(o.device_type);
            for (const auto& p : request.parameters)
                head.target += "&" + p.name + "=" + percent_encode(p.value);
        } else {
            EasRequestLine line;
            line.protocol_version = o.eas_version;
            line.command = request.command;
            line.user = o.user;
            line.device_id = o.device_id;
            line.device_type = o.device_type;
            line.policy_key = policy_key;
            if (request.save_in_sent) line.save_in_sent = true;
            if (request.accept_multipart) line.accept_multipart = true;
            std::string why;
            const std::string query = encode_base64_query(line, &why);
            if (query.empty()) {
                error = "cannot build the base64 query: " + why;
                return false;
            }
            head.target += "?" + query;
        }
    }
    auto add = [&head](std::string name, std::string value) {
        head.headers.push_back({std::move(name), std::move(value)});
    };
    add("Host", url.host_header());
    add("Authorization", "Basic " + base64_encode(o.user + ":" + o.password));
    add("User-Agent", o.user_agent);
    if (!options && plain) {
        add("MS-ASProtocolVersion", o.eas_version);
        if (policy_key) add("X-MS-PolicyKey", std::to_string(*policy_key));
    }
    // The plain form asks for multipart with a header; the base64 form has the Options bit, but
    // the header agrees with it, so it is sent as well for servers that only look there.
    if (request.accept_multipart) add("MS-ASAcceptMultiPart", "T");
    if (!request.body.empty()) add("Content-Type", request.content_type);
    if (!options) add("Content-Length", std::to_string(request.body.size()));
    return true;
}

bool options_request(EasRequest& out) {
    out = EasRequest{};
    out.command = "Options";
    return true;
}

bool provision_request(const Identity& o, EasRequest& out, std::string& error) {
    out = EasRequest{};
    std::string xml = "<Provision xmlns=\"Provision:\" xmlns:settings=\"Settings:\">";
    // 14.1 servers expect the device to describe itself in the first Provision (MS-ASPROV).
    if (version_at_least(o.eas_version, 14.1)) {
        xml +=
            "<settings:DeviceInformation><settings:Set>"
            "<settings:Model>eas-device</settings:Model>"
            "<settings:FriendlyName>eas-device " +
            esc(o.device_id) +
            "</settings:FriendlyName>"
            "<settings:OS>eas-device simulator</settings:OS>"
            "<settings:OSLanguage>English</settings:OSLanguage>"
            "<settings:UserAgent>" +
            esc(o.user_agent) +
            "</settings:UserAgent>"
            "</settings:Set></settings:DeviceInformation>";
    }
    xml += "<Policies><Policy><PolicyType>" + policy_type(o) +
           "</PolicyType></Policy></Policies></Provision>";
    return encode("Provision", xml, out, error);
}

bool provision_ack(const Identity& o, const std::string& temporary_key, EasRequest& out,
                   std::string& error) {
    out = EasRequest{};
    const std::string xml = "<Provision xmlns=\"Provision:\"><Policies><Policy><PolicyType>" +
                            policy_type(o) + "</PolicyType><PolicyKey>" + esc(temporary_key) +
                            "</PolicyKey><Status>1</Status></Policy></Policies></Provision>";
    return encode("Provision", xml, out, error);
}

bool foldersync_request(const std::string& sync_key, EasRequest& out, std::string& error) {
    out = EasRequest{};
    return encode("FolderSync",
                  "<FolderSync xmlns=\"FolderHierarchy:\"><SyncKey>" + esc(sync_key) +
                      "</SyncKey></FolderSync>",
                  out, error);
}

bool sync_request(const Identity& o, const SyncParams& p, EasRequest& out, std::string& error) {
    out = EasRequest{};
    std::string xml =
        "<Sync xmlns=\"AirSync:\" xmlns:airsyncbase=\"AirSyncBase:\"><Collections><Collection>";
    if (!version_at_least(o.eas_version, 12.1))
        xml += "<Class>Email</Class>";  // 2.5 and 12.0 name the class
    xml += "<SyncKey>" + esc(p.sync_key) + "</SyncKey><CollectionId>" + esc(p.collection_id) +
           "</CollectionId>";
    // The initial Sync (SyncKey 0) only primes the state; options and GetChanges come after.
    if (p.sync_key != "0") {
        xml +=
            "<DeletesAsMoves>1</DeletesAsMoves><GetChanges>1</GetChanges><WindowSize>25</"
            "WindowSize><Options>"
            "<FilterType>" +
            std::to_string(p.filter_type) + "</FilterType>";
        if (version_at_least(o.eas_version, 12.0)) {
            xml +=
                "<airsyncbase:BodyPreference><airsyncbase:Type>2</airsyncbase:Type>"
                "<airsyncbase:TruncationSize>51200</airsyncbase:TruncationSize></"
                "airsyncbase:BodyPreference>";
        }
        xml += "</Options>";
    }
    xml += "</Collection></Collections>";
    if (p.wait_minutes > 0) xml += "<Wait>" + std::to_string(p.wait_minutes) + "</Wait>";
    if (p.heartbeat_seconds > 0)
        xml += "<HeartbeatInterval>" + std::to_string(p.heartbeat_seconds) + "</HeartbeatInterval>";
    xml += "</Sync>";
    if (!encode("Sync", xml, out, error)) return false;
    out.hold = std::chrono::minutes(p.wait_minutes) + std::chrono::seconds(p.heartbeat_seconds);
    return true;
}

bool ping_request(int heartbeat_seconds, const std::string& inbox_id, EasRequest& out,
                  std::string& error) {
    out = EasRequest{};
    std::string xml = "<Ping xmlns=\"Ping:\"><HeartbeatInterval>" +
                      std::to_string(heartbeat_seconds) + "</HeartbeatInterval>";
    // Without a folder list the server uses the one cached from the last Ping (MS-ASCMD).
    if (!inbox_id.empty())
        xml += "<Folders><Folder><Id>" + esc(inbox_id) +
               "</Id><Class>Email</Class></Folder></Folders>";
    xml += "</Ping>";
    if (!encode("Ping", xml, out, error)) return false;
    out.hold = std::chrono::seconds(heartbeat_seconds);
    return true;
}

bool sendmail_request(const Identity& o, const std::string& to, unsigned serial, EasRequest& out,
                      std::string& error) {
    out = EasRequest{};
    const std::string from =
        o.user.find('@') != std::string::npos ? o.user : o.user + "@example.invalid";
    const std::string recipient = to.empty() ? from : to;
    const auto stamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    const std::string client_id =
        "eas-device-" + std::to_string(stamp) + "-" + std::to_string(serial);
    const std::string mime = "From: <" + from + ">\r\nTo: <" + recipient +
                             ">\r\nSubject: eas-device test message " + std::to_string(serial) +
                             "\r\nDate: " + rfc822_date() + "\r\nMessage-ID: <" + client_id +
                             "@eas-device.invalid>\r\nMIME-Version: 1.0\r\nContent-Type: "
                             "text/plain; charset=utf-8\r\n\r\n"
                             "Sent by eas-device " +
                             o.device_id + " (" + o.device_type + ").\r\n";
    if (!version_at_least(o.eas_version, 14.0)) {
        // Before 14.0 SendMail carries the raw message and SaveInSent in the query.
        out.command = "SendMail";
        out.body = mime;
        out.content_type = "message/rfc822";
        out.parameters.push_back({"SaveInSent", "T"});
        out.save_in_sent = true;
        return true;
    }
    const std::string xml = "<SendMail xmlns=\"ComposeMail:\"><ClientId>" + client_id +
                            "</ClientId><SaveInSentItems/><Mime opaque=\"base64\">" +
                            base64_encode(mime) + "</Mime></SendMail>";
    return encode("SendMail", xml, out, error);
}

bool fetch_request(const std::string& file_reference, EasRequest& out, std::string& error) {
    out = EasRequest{};
    const std::string xml =
        "<ItemOperations xmlns=\"ItemOperations:\" xmlns:airsyncbase=\"AirSyncBase:\"><Fetch>"
        "<Store>Mailbox</Store><airsyncbase:FileReference>" +
        esc(file_reference) + "</airsyncbase:FileReference></Fetch></ItemOperations>";
    if (!encode("ItemOperations", xml, out, error)) return false;
    out.accept_multipart = true;
    return true;
}

}  // namespace eas::device
