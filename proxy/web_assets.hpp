// The live view's files (proxy/web_ui), embedded in the binary at build time by
// proxy/web_ui/embed.cmake: easproxy serves its page without files beside it or anything
// fetched from elsewhere.
#pragma once

#include <string_view>

namespace eas::proxy {

struct WebAsset {
    std::string_view path;  // "/index.html", "/app.js"
    std::string_view content_type;
    std::string_view body;
};

// nullptr when there is no such file.
const WebAsset* find_web_asset(std::string_view path);

}  // namespace eas::proxy
