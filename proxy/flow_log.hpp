// Log lines for humans, one per flow:
//   alex ApplDNQX1234 iPhone Sync -> 200 Status 1 (Success), 45 ms, 1.2 KB up, 5.6 KB down
// 451s at warning level with X-MS-Location; 449/401/403/503 explained in words.
#pragma once

#include <memory>

#include "flow_events.hpp"
#include "flow_record.hpp"

namespace spdlog {
class logger;
}

namespace eas::proxy {

class FlowLog : public FlowObserver {
  public:
    FlowLog(std::shared_ptr<spdlog::logger> log, RecordOptions options);
    void response_complete(const Flow& f) override;
    void error(const Flow& f) override;

  private:
    std::shared_ptr<spdlog::logger> log_;
    RecordOptions options_;
};

std::string who(const Flow& f);  // "alex ApplDNQX1234 iPhone" (or the client address)

// Log lines pseudonymise users and devices like the trace when --redact strict is on.
void set_log_redactor(std::shared_ptr<const redact::Redactor> redactor);

}  // namespace eas::proxy
