// Autodiscover for mobile devices (MS-ASCMD 2.2.1.1, the mobilesync schemas) on every CAS:
// POST /autodiscover/autodiscover.xml names a mailbox by its e-mail address and gets the EAS
// URL of the CAS that serves it, a Redirect to another address, or an Error. The caller has
// already authenticated the request (401 otherwise, as IIS does).
#pragma once

#include <string_view>

#include "http_io.hpp"
#include "request.hpp"

namespace fakecas {

inline constexpr std::string_view kAutodiscoverPath = "/autodiscover/autodiscover.xml";

Response handle_autodiscover(Runtime& rt, const Cas& cas, const eas::net::Message& request);

}  // namespace fakecas
