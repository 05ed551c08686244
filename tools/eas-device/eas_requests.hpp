// What the device sends: EAS request bodies (written as XML, encoded to WBXML by the project's
// encoder) and the HTTP head around them, in the plain or base64 query form.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http_parser.hpp"
#include "identity.hpp"
#include "request_line.hpp"
#include "url.hpp"

namespace eas::device {

struct EasRequest {
    std::string command;  // "Sync"...; "Options" is the OPTIONS request
    std::string body;     // WBXML, or RFC 822 for SendMail before EAS 14.0
    std::string content_type;
    std::vector<QueryParameter> parameters;  // plain-query extras (SaveInSent=T)
    bool save_in_sent = false;               // SendMail before 14.0
    bool accept_multipart = false;           // ItemOperations fetch
    std::chrono::milliseconds hold{0};       // how long the server may hold it (Ping, Sync Wait)
};

// The head for `request` sent to `url`: target in the chosen query form, Basic auth, EAS headers
// (MS-ASProtocolVersion and X-MS-PolicyKey only with the plain form: the base64 form carries
// both in the query). Returns false and says why in *error if the query cannot be encoded.
bool build_head(const Identity& o, const EasRequest& request, const Url& url,
                std::optional<std::uint32_t> policy_key, http::MessageHead& head,
                std::string& error);

// Builders. They return false with the reason when the XML does not encode (a bug, or a value
// from the command line WBXML cannot carry).
bool options_request(EasRequest& out);
bool provision_request(const Identity& o, EasRequest& out, std::string& error);
bool provision_ack(const Identity& o, const std::string& temporary_key, EasRequest& out,
                   std::string& error);
bool foldersync_request(const std::string& sync_key, EasRequest& out, std::string& error);
struct SyncParams {
    std::string collection_id;
    std::string sync_key = "0";
    int wait_minutes = 0;
    int heartbeat_seconds = 0;
    int filter_type = 3;  // MS-ASCMD FilterType: 0 every item, 3 the last week
};
bool sync_request(const Identity& o, const SyncParams& p, EasRequest& out, std::string& error);
bool ping_request(int heartbeat_seconds, const std::string& inbox_id, EasRequest& out,
                  std::string& error);
bool sendmail_request(const Identity& o, const std::string& to, unsigned serial, EasRequest& out,
                      std::string& error);
bool fetch_request(const std::string& file_reference, EasRequest& out, std::string& error);

// True for protocol versions >= `min` ("14.1" >= "14.0").
bool version_at_least(const std::string& version, double min);

}  // namespace eas::device
