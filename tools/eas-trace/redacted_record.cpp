#include "redacted_record.hpp"

namespace eas::trace {

RedactedRecord::RedactedRecord(const Record& r, const redact::Redactor& redactor) : json_(*r.json) {
    redactor.redact_record(json_);
    json_["redacted"] = std::string(redact::level_name(redactor.level()));
    summary_ = summarize(json_);
    text_ = json_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    record_ = r;
    record_.json = &json_;
    record_.summary = &summary_;
    record_.text = text_;
}

std::shared_ptr<const redact::Redactor> make_redactor(const std::string& level,
                                                      const std::string& key) {
    if (level.empty()) return nullptr;
    const auto parsed = redact::parse_level(level);
    if (!parsed) return nullptr;
    return std::make_shared<redact::Redactor>(
        *parsed, key.empty() ? redact::random_key() : redact::key_from_passphrase(key));
}

}  // namespace eas::trace
