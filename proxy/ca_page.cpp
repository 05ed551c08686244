#include "ca_page.hpp"

#include "base64.hpp"
#include "html.hpp"
#include "cert_info.hpp"

namespace eas::proxy {
namespace {

// 8-4-4-4-12 hex digits from a fingerprint ("AB:CD:..."), shifted by `salt` so the profile
// and its payload get different identifiers.
std::string uuid_from(const std::string& fingerprint, int salt) {
    std::string hex;
    for (const char c : fingerprint)
        if (c != ':') hex += c;
    hex = hex.substr(static_cast<std::size_t>(salt) * 2) + hex;
    hex.resize(32, '0');
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::string wrapped_base64(const std::string& bytes) {
    const std::string b64 = base64_encode(bytes);
    std::string out;
    for (std::size_t i = 0; i < b64.size(); i += 64) out += "\t" + b64.substr(i, 64) + "\n";
    return out;
}

}  // namespace

std::string mobileconfig(const std::string& der, const std::string& sha256) {
    const std::string payload_uuid = uuid_from(sha256, 0);
    const std::string profile_uuid = uuid_from(sha256, 1);
    return R"(<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>PayloadCertificateFileName</key>
      <string>easproxy-ca.cer</string>
      <key>PayloadContent</key>
      <data>
)" + wrapped_base64(der) +
           R"(      </data>
      <key>PayloadDescription</key>
      <string>Trusts the easproxy CA, so easproxy can decode this device's ActiveSync traffic.</string>
      <key>PayloadDisplayName</key>
      <string>easproxy CA</string>
      <key>PayloadIdentifier</key>
      <string>com.apple.security.root.)" +
           payload_uuid + R"(</string>
      <key>PayloadType</key>
      <string>com.apple.security.root</string>
      <key>PayloadUUID</key>
      <string>)" +
           payload_uuid + R"(</string>
      <key>PayloadVersion</key>
      <integer>1</integer>
    </dict>
  </array>
  <key>PayloadDisplayName</key>
  <string>easproxy CA</string>
  <key>PayloadIdentifier</key>
  <string>easproxy.ca.)" +
           profile_uuid + R"(</string>
  <key>PayloadRemovalDisallowed</key>
  <false/>
  <key>PayloadType</key>
  <string>Configuration</string>
  <key>PayloadUUID</key>
  <string>)" +
           profile_uuid + R"(</string>
  <key>PayloadVersion</key>
  <integer>1</integer>
</dict>
</plist>
)";
}

std::optional<PageResponse> ca_page(std::string_view path, const std::string& ca_pem,
                                    const std::string& prefix) {
    const auto q = path.find('?');
    path = path.substr(0, q);
    std::string error;
    const auto der = certs::pem_to_der(ca_pem, error);
    const auto info = certs::describe_cert(ca_pem, error);
    PageResponse r;
    if (!der || !info) {
        r.status = 500;
        r.content_type = "text/plain; charset=utf-8";
        r.body = "easproxy: the CA certificate cannot be read: " + error + "\n";
        return r;
    }
    if (path == "/easproxy-ca.pem") {
        r.content_type = "application/x-pem-file";
        r.body = ca_pem;
        r.filename = "easproxy-ca.pem";
        return r;
    }
    if (path == "/easproxy-ca.crt" || path == "/easproxy-ca.cer") {
        r.content_type = "application/x-x509-ca-cert";
        r.body = *der;
        r.filename = "easproxy-ca.crt";
        return r;
    }
    if (path == "/easproxy-ca.mobileconfig") {
        r.content_type = "application/x-apple-aspen-config";
        r.body = mobileconfig(*der, info->sha256);
        r.filename = "easproxy-ca.mobileconfig";
        return r;
    }
    if (path != "/" && path != "" && path != "/index.html") return std::nullopt;
    r.content_type = "text/html; charset=utf-8";
    r.body = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>easproxy CA</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}
a.b{display:block;margin:.6em 0;padding:.8em 1em;border:1px solid #888;border-radius:.4em;
text-decoration:none}code{font-size:.85em;word-break:break-all}</style></head>
<body><h1>Install the easproxy CA</h1>
<p>easproxy decodes this device's ActiveSync traffic. For that the device must trust the CA
below. Install it only on devices you are debugging, and remove it afterwards.</p>
<a class="b" href=")" +
             prefix +
             R"(easproxy-ca.mobileconfig">iPhone, iPad, Mac: configuration profile</a>
<a class="b" href=")" +
             prefix +
             R"(easproxy-ca.crt">Android, Windows: certificate (.crt)</a>
<a class="b" href=")" +
             prefix +
             R"(easproxy-ca.pem">PEM (Linux, tools)</a>
<p>On iOS, after installing the profile, turn on full trust under Settings &gt; General &gt;
About &gt; Certificate Trust Settings.</p>
<p>Check the fingerprint before you trust it:<br>SHA-256 <code>)" +
             html_escape(info->sha256) + R"(</code><br>Subject )" + html_escape(info->subject) +
             R"(, valid until )" + html_escape(info->not_after) + R"(</p>
</body></html>
)";
    return r;
}

}  // namespace eas::proxy
