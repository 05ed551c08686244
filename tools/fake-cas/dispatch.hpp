// The request pipeline of one CAS, in the order Exchange applies it: path, site state,
// authentication (Autodiscover is answered right after it), the 451 rule, protocol version,
// policy key, then the command handler.
#pragma once

#include <string>

#include "http_io.hpp"
#include "request.hpp"

namespace fakecas {

// What the one-line request log names besides the status codes.
struct RequestLog {
    std::string user = "-";
    std::string device = "-";
    std::string device_type = "-";
    std::string command = "-";
};

awaitable<Response> dispatch(Runtime& rt, Cas& cas, const eas::net::Message& request,
                             asio::any_io_executor ex, RequestLog& log);

// Headers every CAS response carries (server build, no caching).
void add_common_headers(const Runtime& rt, Response& resp);

}  // namespace fakecas
