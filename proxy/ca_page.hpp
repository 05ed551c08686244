// The page that hands devices the CA: an HTML page with the CA as PEM, as DER (.crt, what
// Android and Windows import) and as an iOS configuration profile (.mobileconfig). Served at
// http://easproxy.cert/ through the proxy (regular mode) and under /ca/ on the --web listener.
// Pure: the listeners do the I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace eas::proxy {

struct PageResponse {
    int status = 200;
    std::string content_type;
    std::string body;
    std::string filename;  // for Content-Disposition on downloads
};

// `path` relative to the page's root ("/", "/easproxy-ca.pem", ...); nullopt: not a CA page
// path. `prefix` is where the page lives ("/" or "/ca/"), for its links.
std::optional<PageResponse> ca_page(std::string_view path, const std::string& ca_pem,
                                    const std::string& prefix = "/");

// The iOS/macOS profile installing `der` as a trusted root; UUIDs derive from its fingerprint,
// so the same CA always gives the same profile.
std::string mobileconfig(const std::string& der, const std::string& sha256_hex);

}  // namespace eas::proxy
