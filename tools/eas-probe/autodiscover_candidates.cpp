#include "autodiscover_candidates.hpp"

#include "ascii.hpp"
#include "autodiscover.hpp"
#include "wbxml_xml_writer.hpp"

namespace eas::probe {

std::vector<Candidate> autodiscover_candidates(std::string_view domain) {
    const std::string d(domain);
    const std::string path(kAutodiscoverPath);
    return {
        {"https://" + d + path, false},
        {"https://autodiscover." + d + path, false},
        {"http://autodiscover." + d + path, true},
    };
}

std::string email_domain(std::string_view email) {
    const auto at = email.rfind('@');
    if (at == std::string_view::npos) return {};
    return to_lower(trim(email.substr(at + 1)));
}

std::string autodiscover_request_body(std::string_view email) {
    std::string address;
    wbxml::append_escaped(address, email);
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Autodiscover xmlns=\"" +
           std::string(kMobileSyncRequestSchema) + "\">\r\n  <Request>\r\n    <EMailAddress>" +
           address + "</EMailAddress>\r\n    <AcceptableResponseSchema>" +
           std::string(kMobileSyncResponseSchema) +
           "</AcceptableResponseSchema>\r\n  </Request>\r\n</Autodiscover>\r\n";
}

}  // namespace eas::probe
