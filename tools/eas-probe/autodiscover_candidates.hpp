// Where a device looks for Autodiscover, in the order devices try (MS-OXDSCLI's common
// practice): https://DOMAIN/..., https://autodiscover.DOMAIN/..., then the redirect method (an
// unauthenticated GET of http://autodiscover.DOMAIN/... answered with 302 to an https URL). The
// DNS SRV record _autodiscover._tcp.DOMAIN is not tried. Sans-IO.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace eas::probe {

inline constexpr std::string_view kAutodiscoverPath = "/autodiscover/autodiscover.xml";

struct Candidate {
    std::string url;
    bool redirect_method = false;  // GET over http without credentials, expecting a 302
};

std::vector<Candidate> autodiscover_candidates(std::string_view domain);

// The domain of an e-mail address, lower-cased; "" when there is none.
std::string email_domain(std::string_view email);

// The mobilesync request (MS-ASCMD 2.2.1.1): EMailAddress and the response schema a device
// asks for.
std::string autodiscover_request_body(std::string_view email);

}  // namespace eas::probe
