// Structure-preserving redaction of what easproxy records, at three levels (--redact):
//   secrets  passwords, Authorization, cookies (the default)
//   content  also user content (subjects, bodies, MIME, attachments and their names, contact,
//            calendar, task and note fields, search queries, GAL results): replaced by its
//            length and a keyed hash, "[content 42 B #3f9a1c07b2d4]", so equal values stay
//            recognisably equal within one export and nothing can be read back
//   strict   also users, e-mail addresses, device ids, IMEI, phone numbers and IP addresses:
//            pseudonymised ("user-5d2e81", "device-a07c3b") with the same key, so flows of
//            one user still correlate
// Element names, Status values, SyncKeys, collection ids, counts and sizes always stay.
// The key is random per run (or given), so two exports with different keys share no tokens.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "siphash.hpp"
#include "wbxml_document.hpp"

namespace eas::redact {

enum class Level { Secrets, Content, Strict };

std::optional<Level> parse_level(std::string_view text);
std::string_view level_name(Level level);

// A random key, or one derived from a passphrase (--redact-key) for repeatable exports.
SipKey random_key();
SipKey key_from_passphrase(std::string_view passphrase);

class Redactor {
  public:
    Redactor(Level level, SipKey key) : level_(level), key_(key) {}
    Level level() const { return level_; }

    // The document with each element's text treated by its class.
    wbxml::Document redact(const wbxml::Document& doc) const;
    // Whether redact() would change anything (a document without secrets at level secrets).
    bool affects(const wbxml::Document& doc) const;

    // "[content 42 B #3f9a1c07b2d4]"
    std::string content_token(std::string_view value) const;
    // kind: "user", "device", "email", "phone", "imei", "ip", "name"; emails keep their shape.
    std::string pseudonym(std::string_view kind, std::string_view value) const;

    // The parts of a trace record (v1) outside its bodies: headers, request line, decoded EAS
    // view, client address, Autodiscover fields.
    void redact_envelope(nlohmann::json& record) const;
    // A whole record as read from a trace: bodies (their XML parsed, redacted and written
    // again; raw bytes withheld above level secrets) and envelope.
    void redact_record(nlohmann::json& record) const;

  private:
    std::string hash_hex(std::string_view kind, std::string_view value, std::size_t digits) const;
    std::string identity(std::uint8_t page, std::string_view tag, std::string_view value) const;
    Level level_;
    SipKey key_;
};

}  // namespace eas::redact
