#include "request_line.hpp"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "base64.hpp"
#include "ascii.hpp"

namespace eas {
namespace {

// MS-ASHTTP 2.2.1.1.1.1.2; 5-8 are unassigned, 23 (Find) arrived with 16.1.
constexpr std::array<std::string_view, 24> kCommands = {"Sync",
                                                        "SendMail",
                                                        "SmartForward",
                                                        "SmartReply",
                                                        "GetAttachment",
                                                        "",
                                                        "",
                                                        "",
                                                        "",
                                                        "FolderSync",
                                                        "FolderCreate",
                                                        "FolderDelete",
                                                        "FolderUpdate",
                                                        "MoveItems",
                                                        "GetItemEstimate",
                                                        "MeetingResponse",
                                                        "Search",
                                                        "Settings",
                                                        "Ping",
                                                        "ItemOperations",
                                                        "Provision",
                                                        "ResolveRecipients",
                                                        "ValidateCert",
                                                        "Find"};

// 2.x commands servers still list in MS-ASProtocolCommands; they have no base64 code, but a
// plain query naming them is not a mistake worth a warning.
constexpr std::array<std::string_view, 4> kLegacyCommands = {"GetHierarchy", "CreateCollection",
                                                             "DeleteCollection", "MoveCollection"};

// Base64 parameter tags (MS-ASHTTP 2.2.1.1.1.1.3).
constexpr std::array<std::string_view, 9> kTags = {
    "AttachmentName", "CollectionId", "CollectionName", "ItemId", "LongId",
    "ParentId",       "Occurrence",   "Options",        "User"};
constexpr std::uint8_t kOptionsTag = 7;
constexpr std::uint8_t kUserTag = 8;
constexpr std::uint8_t kSaveInSentBit = 0x01;
constexpr std::uint8_t kAcceptMultiPartBit = 0x02;

constexpr std::array<std::string_view, 13> kPlainKeys = {
    "Cmd",           "User",     "DeviceId",   "DeviceType", "CollectionId",   "ItemId",
    "LongId",        "ParentId", "Occurrence", "SaveInSent", "AttachmentName", "AcceptMultiPart",
    "CollectionName"};

// Versions MS-ASHTTP allows to use the base64 form: 12.1, 14.0, 14.1, 16.0, 16.1.
constexpr std::array<std::uint8_t, 5> kBase64Versions = {121, 140, 141, 160, 161};

constexpr std::uint16_t kEnglishUs = 0x0409;

// Only real methods start a pasted request line, so a query that merely begins with capitals
// and contains a space is not mistaken for one.
constexpr std::array<std::string_view, 9> kMethods = {"GET",    "POST",  "OPTIONS", "HEAD", "PUT",
                                                      "DELETE", "PATCH", "CONNECT", "TRACE"};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '-' || c == '_' || c == '=';
}

bool is_printable_ascii(std::string_view s) {
    for (char c : s) {
        if (c < 0x20 || c > 0x7E) return false;
    }
    return true;
}

std::string hex_byte(unsigned value) {
    static constexpr char digits[] = "0123456789abcdef";
    return std::string("0x") + digits[(value >> 4) & 0x0F] + digits[value & 0x0F];
}

// How a character appears in a message: quoted when printable, as a byte value otherwise.
std::string describe_char(char c) {
    if (c >= 0x21 && c <= 0x7E) return std::string("'") + c + "'";
    return "byte " + hex_byte(static_cast<unsigned char>(c));
}

std::string dec(std::size_t value) {
    return std::to_string(value);
}

std::string version_string(unsigned value) {
    return std::to_string(value / 10) + "." + std::to_string(value % 10);
}

std::optional<std::uint8_t> version_byte(std::string_view text) {
    const std::size_t dot = text.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 2 || dot + 2 != text.size())
        return std::nullopt;
    unsigned value = 0;
    for (char c : text.substr(0, dot)) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    const char minor = text[dot + 1];
    if (minor < '0' || minor > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(minor - '0');
    if (value > 255) return std::nullopt;
    return static_cast<std::uint8_t>(value);
}

std::string_view canonical_plain_key(std::string_view key) {
    for (std::string_view known : kPlainKeys) {
        if (iequals(key, known)) return known;
    }
    return key;
}

std::optional<int> tag_for_parameter(std::string_view name) {
    for (std::size_t tag = 0; tag < kOptionsTag; ++tag) {
        if (iequals(name, kTags[tag])) return static_cast<int>(tag);
    }
    // Unknown tags decode as "tag N"; accepting that spelling keeps decode/encode symmetric.
    if (istarts_with(name, "tag ") && name.size() > 4 && name.size() <= 7) {
        int tag = 0;
        for (char c : name.substr(4)) {
            if (c < '0' || c > '9') return std::nullopt;
            tag = tag * 10 + (c - '0');
        }
        if (tag <= 255) return tag;
    }
    return std::nullopt;
}

void fail(EasRequestLine& r, std::size_t offset, bool in_decoded_query, std::string reason) {
    if (!r.error) r.error = RequestLineError{offset, in_decoded_query, std::move(reason)};
}

// '+' becomes a space as HTML forms encode it: not standard for EAS, but servers built on
// ASP.NET or PHP decode it that way, so a device sending it means a space.
std::string percent_decode(std::string_view text, std::size_t base, EasRequestLine& r) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out.push_back(' ');
            continue;
        }
        if (c != '%') {
            out.push_back(c);
            continue;
        }
        const int high = i + 1 < text.size() ? hex_digit_value(text[i + 1]) : -1;
        const int low = i + 2 < text.size() ? hex_digit_value(text[i + 2]) : -1;
        if (high < 0 || low < 0) {
            // Kept as sent: servers differ here, and the rest of the query is still worth reading.
            fail(r, base + i, false,
                 "plain query: '%' at character " + dec(base + i) +
                     " is not followed by two hex digits");
            out.push_back('%');
            continue;
        }
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return out;
}

std::optional<bool> parse_flag(std::string_view value) {
    if (iequals(value, "T")) return true;
    if (iequals(value, "F")) return false;
    return std::nullopt;
}

void parse_plain(std::string_view query, std::size_t base, EasRequestLine& r) {
    r.form = QueryForm::Plain;
    bool seen_cmd = false;
    bool seen_user = false;
    bool seen_device_id = false;
    bool seen_device_type = false;

    // The first of a repeated identity field wins; the repetition is worth telling about because
    // servers disagree on which one they use.
    auto take = [&r](bool& seen, std::string& field, std::string_view key, std::string value) {
        if (seen) {
            r.warnings.push_back(std::string(key) + " appears more than once; the first value '" +
                                 field + "' is shown");
            return;
        }
        seen = true;
        field = std::move(value);
    };
    auto take_flag = [&r](std::optional<bool>& field, std::string_view key, std::string value) {
        const std::optional<bool> flag = parse_flag(value);
        if (!flag) {
            r.warnings.push_back(std::string(key) + " is '" + value + "', neither T nor F");
            r.parameters.push_back({std::string(key), std::move(value)});
        } else if (field) {
            r.warnings.push_back(std::string(key) + " appears more than once; the first is shown");
        } else {
            field = flag;
        }
    };

    std::size_t pos = 0;
    while (pos <= query.size()) {
        std::size_t amp = query.find('&', pos);
        if (amp == std::string_view::npos) amp = query.size();
        const std::string_view pair = query.substr(pos, amp - pos);
        const std::size_t pair_base = base + pos;
        pos = amp + 1;
        if (pair.empty()) continue;  // "a=1&&b=2" or a trailing '&': harmless

        const std::size_t eq = pair.find('=');
        const std::string key = percent_decode(pair.substr(0, eq), pair_base, r);
        std::string value = eq == std::string_view::npos
                                ? std::string()
                                : percent_decode(pair.substr(eq + 1), pair_base + eq + 1, r);
        const std::string_view name = canonical_plain_key(key);
        if (name.empty()) {
            r.warnings.push_back("parameter without a name at character " + dec(pair_base));
        }

        if (name == "Cmd") {
            take(seen_cmd, r.command, name, std::move(value));
        } else if (name == "User") {
            take(seen_user, r.user, name, std::move(value));
        } else if (name == "DeviceId") {
            take(seen_device_id, r.device_id, name, std::move(value));
        } else if (name == "DeviceType") {
            take(seen_device_type, r.device_type, name, std::move(value));
        } else if (name == "SaveInSent") {
            take_flag(r.save_in_sent, name, std::move(value));
        } else if (name == "AcceptMultiPart") {
            take_flag(r.accept_multipart, name, std::move(value));
        } else {
            r.parameters.push_back({std::string(name), std::move(value)});
        }
    }

    std::string missing;
    for (auto [seen, key] :
         {std::pair{seen_cmd, "Cmd"}, std::pair{seen_user, "User"},
          std::pair{seen_device_id, "DeviceId"}, std::pair{seen_device_type, "DeviceType"}}) {
        if (!seen) missing += (missing.empty() ? "" : ", ") + std::string(key);
    }
    if (!missing.empty()) {
        r.warnings.push_back("plain query lacks " + missing +
                             " (MS-ASHTTP requires Cmd, User, DeviceId and DeviceType)");
    }
    if (seen_cmd) {
        r.command_code = command_code(r.command);
        if (r.command.empty()) {
            r.warnings.push_back("Cmd is empty");
        } else if (!r.command_code) {
            bool legacy = false;
            for (std::string_view old : kLegacyCommands) legacy = legacy || iequals(old, r.command);
            if (!legacy) r.warnings.push_back("Cmd '" + r.command + "' is not an EAS command");
        }
    }
}

void parse_base64_text(std::string_view query, std::size_t base, EasRequestLine& r) {
    r.form = QueryForm::Base64;
    // Clients may percent-encode + / = as %2B %2F %3D; keep where each character came from so
    // errors point into the text the engineer is looking at.
    std::string text;
    std::vector<std::size_t> source;
    text.reserve(query.size());
    source.reserve(query.size());
    for (std::size_t i = 0; i < query.size(); ++i) {
        const std::size_t at = i;
        char c = query[i];
        if (c == '%') {
            const int high = i + 1 < query.size() ? hex_digit_value(query[i + 1]) : -1;
            const int low = i + 2 < query.size() ? hex_digit_value(query[i + 2]) : -1;
            if (high < 0 || low < 0) {
                fail(r, base + at, false,
                     "base64 query: '%' at character " + dec(base + at) +
                         " is not followed by two hex digits");
                return;
            }
            c = static_cast<char>(high * 16 + low);
            i += 2;
        }
        if (!is_base64_char(c)) {
            // A space is usually a '+' that a log or a form decoder turned into one.
            fail(
                r, base + at, false,
                "base64 query: " + describe_char(c) + " at character " + dec(base + at) +
                    " is not a base64 character" +
                    (c == ' ' ? " (a '+' turned into a space?)" : " (a plain query without '='?)"));
            return;
        }
        text.push_back(c);
        source.push_back(base + at);
    }
    Base64Error why;
    const std::optional<std::string> bytes = base64_decode(text, &why);
    if (!bytes) {
        const std::size_t at =
            why.offset < source.size() ? source[why.offset] : base + query.size();
        fail(r, at, false, "base64 query: " + why.reason + " at character " + dec(at));
        return;
    }
    std::string method = std::move(r.method);
    std::string path = std::move(r.path);
    r = parse_base64_query_bytes(*bytes);
    r.method = std::move(method);
    r.path = std::move(path);
}

// Valid UTF-8 passes through; any other byte becomes the text \xNN, so JSON dumps never throw
// and a support engineer still sees which byte it was.
std::string display_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto lead = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        if (lead < 0x80) {
            len = 1;
        } else if ((lead >> 5) == 0x06) {
            len = 2;
        } else if ((lead >> 4) == 0x0E) {
            len = 3;
        } else if ((lead >> 3) == 0x1E) {
            len = 4;
        }
        bool valid = len > 0 && i + len <= s.size();
        if (valid && len > 1) {
            std::uint32_t cp = lead & (0x7Fu >> len);
            for (std::size_t k = 1; k < len && valid; ++k) {
                const auto next = static_cast<unsigned char>(s[i + k]);
                valid = (next & 0xC0) == 0x80;
                cp = (cp << 6) | (next & 0x3Fu);
            }
            static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
            valid = valid && cp >= kMin[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
        }
        if (valid) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += "\\x" + hex_byte(lead).substr(2);
            ++i;
        }
    }
    return out;
}

}  // namespace

const std::string* EasRequestLine::parameter(std::string_view name) const {
    for (const QueryParameter& p : parameters) {
        if (iequals(p.name, name)) return &p.value;
    }
    return nullptr;
}

std::string_view command_name(int code) {
    if (code < 0 || code >= static_cast<int>(kCommands.size())) return {};
    return kCommands[static_cast<std::size_t>(code)];
}

std::optional<int> command_code(std::string_view name) {
    if (name.empty()) return std::nullopt;
    for (std::size_t code = 0; code < kCommands.size(); ++code) {
        if (iequals(name, kCommands[code])) return static_cast<int>(code);
    }
    return std::nullopt;
}

std::string_view query_form_name(QueryForm form) {
    switch (form) {
        case QueryForm::Plain:
            return "plain";
        case QueryForm::Base64:
            return "base64";
        case QueryForm::None:
            break;
    }
    return "none";
}

QueryForm detect_query_form(std::string_view query) {
    if (query.empty()) return QueryForm::None;
    if (query.find('&') != std::string_view::npos) return QueryForm::Plain;
    // "Cmd=" alone is plain even though a trailing '=' could be base64 padding.
    if (istarts_with(query, "cmd=")) return QueryForm::Plain;
    for (std::size_t i = 0; i + 1 < query.size(); ++i) {
        if (query[i] == '=' && query[i + 1] != '=') return QueryForm::Plain;
    }
    return QueryForm::Base64;
}

EasRequestLine parse_request_line(std::string_view input) {
    EasRequestLine r;
    std::size_t begin = 0;
    std::size_t end = input.size();
    while (begin < end && is_space(input[begin])) ++begin;
    while (end > begin && is_space(input[end - 1])) --end;
    std::string_view target = input.substr(begin, end - begin);
    std::size_t base = begin;

    // A whole "METHOD target HTTP/1.1" line, as pasted from a log or a trace.
    const std::size_t space = target.find(' ');
    if (space != std::string_view::npos && space > 0) {
        const std::string_view method = target.substr(0, space);
        bool is_method = false;
        for (std::string_view known : kMethods) is_method = is_method || method == known;
        if (is_method) {
            r.method = std::string(method);
            std::size_t start = space;
            while (start < target.size() && target[start] == ' ') ++start;
            std::string_view rest = target.substr(start);
            const std::size_t version = rest.rfind(" HTTP/");
            if (version != std::string_view::npos) rest = rest.substr(0, version);
            while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
            target = rest;
            base += start;
        }
    }

    std::string_view query;
    const std::size_t mark = target.find('?');
    if (mark != std::string_view::npos) {
        r.path = std::string(target.substr(0, mark));
        query = target.substr(mark + 1);
        base += mark + 1;
    } else if (!target.empty() && (target.front() == '/' || target.find("://") != target.npos)) {
        r.path = std::string(target);
    } else {
        query = target;
    }
    // Absolute form (explicit proxy mode): the path is what identifies the endpoint.
    if (const std::size_t scheme = r.path.find("://"); scheme != std::string::npos) {
        const std::size_t slash = r.path.find('/', scheme + 3);
        r.path = slash == std::string::npos ? std::string("/") : r.path.substr(slash);
    }

    switch (detect_query_form(query)) {
        case QueryForm::None:
            break;
        case QueryForm::Plain:
            parse_plain(query, base, r);
            break;
        case QueryForm::Base64:
            parse_base64_text(query, base, r);
            break;
    }
    return r;
}

EasRequestLine parse_base64_query_bytes(std::string_view bytes) {
    EasRequestLine r;
    r.form = QueryForm::Base64;
    const std::size_t size = bytes.size();
    auto at = [&bytes](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
    // Each field must fit the buffer; the message names the field and where it should have been.
    auto fits = [&r, size](std::size_t offset, std::size_t length, std::string_view what) {
        if (offset + length <= size) return true;
        if (size == 0) {
            fail(r, 0, true, "base64 query decodes to no bytes at all");
        } else {
            fail(r, offset, true,
                 "base64 query: the " + dec(size) + "-byte query ends before the " +
                     std::string(what) + " at byte " + dec(offset));
        }
        return false;
    };
    auto runs_past = [&r, size](std::size_t offset, std::string_view what, unsigned length) {
        fail(r, offset, true,
             "base64 query: " + std::string(what) + " length " + std::to_string(length) +
                 " at byte " + dec(offset) + " runs past the end of the " + dec(size) +
                 "-byte query");
    };

    if (!fits(0, 1, "protocol version")) return r;
    const std::uint8_t version = at(0);
    r.protocol_version = version_string(version);
    bool known_version = false;
    for (std::uint8_t v : kBase64Versions) known_version = known_version || v == version;
    if (!known_version) {
        r.warnings.push_back("protocol version byte " + hex_byte(version) + " (" +
                             *r.protocol_version +
                             ") at byte 0 is not 12.1, 14.0, 14.1, 16.0 or 16.1, the versions "
                             "allowed to use the base64 query");
    }

    if (!fits(1, 1, "command code")) return r;
    r.command_code = at(1);
    r.command = std::string(command_name(at(1)));
    if (r.command.empty()) {
        r.warnings.push_back("command code " + std::to_string(at(1)) +
                             " at byte 1 is not assigned to any command");
    }

    if (!fits(2, 2, "locale")) return r;
    r.locale = static_cast<std::uint16_t>(at(2) | (at(3) << 8));

    if (!fits(4, 1, "device id length")) return r;
    const unsigned id_length = at(4);
    if (5 + id_length > size) {
        runs_past(4, "device id", id_length);
        return r;
    }
    const std::string_view device_id = bytes.substr(5, id_length);
    if (device_id.empty()) {
        r.warnings.push_back("device id is empty");
    } else if (is_printable_ascii(device_id)) {
        r.device_id = std::string(device_id);
    } else {
        r.device_id = hex_encode(device_id);
        r.binary_device_id = true;
    }

    const std::size_t key_at = 5 + id_length;
    if (!fits(key_at, 1, "policy key length")) return r;
    const unsigned key_length = at(key_at);
    if (key_length != 0 && key_length != 4) {
        fail(r, key_at, true,
             "base64 query: policy key length " + std::to_string(key_length) + " at byte " +
                 dec(key_at) + " must be 0 or 4");
        return r;
    }
    if (key_at + 1 + key_length > size) {
        runs_past(key_at, "policy key", key_length);
        return r;
    }
    if (key_length == 4) {
        r.policy_key = static_cast<std::uint32_t>(at(key_at + 1)) |
                       static_cast<std::uint32_t>(at(key_at + 2)) << 8 |
                       static_cast<std::uint32_t>(at(key_at + 3)) << 16 |
                       static_cast<std::uint32_t>(at(key_at + 4)) << 24;
    }

    const std::size_t type_at = key_at + 1 + key_length;
    if (!fits(type_at, 1, "device type length")) return r;
    const unsigned type_length = at(type_at);
    if (type_at + 1 + type_length > size) {
        runs_past(type_at, "device type", type_length);
        return r;
    }
    r.device_type = std::string(bytes.substr(type_at + 1, type_length));
    if (r.device_type.empty()) {
        r.warnings.push_back("device type is empty");
    } else if (!is_printable_ascii(r.device_type)) {
        r.warnings.push_back("device type at byte " + dec(type_at + 1) +
                             " holds bytes that are not printable ASCII");
    }

    bool seen_options = false;
    bool seen_user = false;
    std::size_t p = type_at + 1 + type_length;
    while (p < size) {
        const std::uint8_t tag = at(p);
        const std::string name =
            tag < kTags.size() ? std::string(kTags[tag]) : "tag " + std::to_string(tag);
        const std::string what =
            "parameter " + name + (tag < kTags.size() ? " (tag " + std::to_string(tag) + ")" : "");
        if (p + 1 >= size) {
            fail(r, p, true,
                 "base64 query: " + what + " at byte " + dec(p) + " has no length byte");
            return r;
        }
        const unsigned length = at(p + 1);
        if (p + 2 + length > size) {
            runs_past(p + 1, what, length);
            return r;
        }
        std::string value(bytes.substr(p + 2, length));
        if (tag == kOptionsTag) {
            if (seen_options) {
                r.warnings.push_back("second Options parameter at byte " + dec(p) + " ignored");
            } else if (length == 0) {
                r.warnings.push_back("Options parameter at byte " + dec(p) + " is empty");
            } else {
                if (length > 1) {
                    r.warnings.push_back("Options parameter at byte " + dec(p) + " has " +
                                         std::to_string(length) + " bytes; only the first is used");
                }
                const auto options = static_cast<std::uint8_t>(value[0]);
                r.save_in_sent = (options & kSaveInSentBit) != 0;
                r.accept_multipart = (options & kAcceptMultiPartBit) != 0;
                const unsigned unknown = options & ~unsigned{kSaveInSentBit | kAcceptMultiPartBit};
                if (unknown != 0) {
                    r.warnings.push_back("Options byte " + hex_byte(options) + " at byte " +
                                         dec(p + 2) + " sets unknown bits " + hex_byte(unknown));
                }
            }
            seen_options = true;
        } else if (tag == kUserTag) {
            if (seen_user) {
                r.warnings.push_back("second User parameter at byte " + dec(p) + " ignored");
            } else {
                r.user = std::move(value);
            }
            seen_user = true;
        } else {
            if (tag >= kTags.size()) {
                r.warnings.push_back("unknown parameter tag " + std::to_string(tag) + " at byte " +
                                     dec(p) + " (kept as \"" + name + "\")");
            }
            r.parameters.push_back({name, std::move(value)});
        }
        p += 2 + length;
    }
    return r;
}

std::string encode_base64_query(const EasRequestLine& request, std::string* error) {
    auto refuse = [error](std::string why) {
        if (error) *error = std::move(why);
        return std::string();
    };
    if (!request.protocol_version)
        return refuse("no protocol version (such as \"14.1\") to encode");
    const std::optional<std::uint8_t> version = version_byte(*request.protocol_version);
    if (!version) {
        return refuse("protocol version '" + *request.protocol_version +
                      "' is not a version such as 14.1 (at most 25.5)");
    }
    const std::optional<int> code =
        request.command_code ? request.command_code : command_code(request.command);
    if (!code) return refuse("command '" + request.command + "' has no base64 command code");
    if (*code < 0 || *code > 255)
        return refuse("command code " + std::to_string(*code) + " does not fit a byte");

    std::string device_id = request.device_id;
    if (request.binary_device_id) {
        Base64Error why;
        std::optional<std::string> raw = hex_decode(request.device_id, &why);
        if (!raw) return refuse("binary device id is not hex: " + why.reason);
        device_id = std::move(*raw);
    }
    if (device_id.size() > 255) return refuse("device id is longer than 255 bytes");
    if (request.device_type.size() > 255) return refuse("device type is longer than 255 bytes");
    if (request.user.size() > 255) return refuse("user is longer than 255 bytes");

    std::string out;
    out.push_back(static_cast<char>(*version));
    out.push_back(static_cast<char>(*code));
    const std::uint16_t locale = request.locale.value_or(kEnglishUs);
    out.push_back(static_cast<char>(locale & 0xFF));
    out.push_back(static_cast<char>(locale >> 8));
    out.push_back(static_cast<char>(device_id.size()));
    out += device_id;
    if (request.policy_key) {
        out.push_back(4);
        for (int shift = 0; shift < 32; shift += 8) {
            out.push_back(static_cast<char>((*request.policy_key >> shift) & 0xFF));
        }
    } else {
        out.push_back(0);
    }
    out.push_back(static_cast<char>(request.device_type.size()));
    out += request.device_type;

    for (const QueryParameter& p : request.parameters) {
        const std::optional<int> tag = tag_for_parameter(p.name);
        if (!tag) return refuse("parameter '" + p.name + "' has no base64 tag");
        if (p.value.size() > 255)
            return refuse("parameter " + p.name + " is longer than 255 bytes");
        out.push_back(static_cast<char>(*tag));
        out.push_back(static_cast<char>(p.value.size()));
        out += p.value;
    }
    if (request.save_in_sent || request.accept_multipart) {
        std::uint8_t options = 0;
        if (request.save_in_sent.value_or(false)) options |= kSaveInSentBit;
        if (request.accept_multipart.value_or(false)) options |= kAcceptMultiPartBit;
        out.push_back(static_cast<char>(kOptionsTag));
        out.push_back(1);
        out.push_back(static_cast<char>(options));
    }
    if (!request.user.empty()) {
        out.push_back(static_cast<char>(kUserTag));
        out.push_back(static_cast<char>(request.user.size()));
        out += request.user;
    }

    // Percent-encoded because a literal '+' in a query reaches many servers as a space.
    std::string text;
    for (char c : base64_encode(out)) {
        if (c == '+') {
            text += "%2B";
        } else if (c == '/') {
            text += "%2F";
        } else if (c == '=') {
            text += "%3D";
        } else {
            text.push_back(c);
        }
    }
    return text;
}

nlohmann::json to_json(const EasRequestLine& request) {
    nlohmann::json j = nlohmann::json::object();
    j["form"] = std::string(query_form_name(request.form));
    if (!request.method.empty()) j["method"] = display_text(request.method);
    j["path"] = display_text(request.path);
    j["command"] = display_text(request.command);
    if (request.command_code) j["command_code"] = *request.command_code;
    j["user"] = display_text(request.user);
    j["device_id"] = display_text(request.device_id);
    if (request.binary_device_id) j["binary_device_id"] = true;
    j["device_type"] = display_text(request.device_type);
    if (request.protocol_version) j["protocol_version"] = display_text(*request.protocol_version);
    if (request.policy_key) j["policy_key"] = *request.policy_key;
    if (request.locale) j["locale"] = *request.locale;
    nlohmann::json parameters = nlohmann::json::array();
    for (const QueryParameter& p : request.parameters) {
        parameters.push_back({{"name", display_text(p.name)}, {"value", display_text(p.value)}});
    }
    j["parameters"] = std::move(parameters);
    if (request.save_in_sent) j["save_in_sent"] = *request.save_in_sent;
    if (request.accept_multipart) j["accept_multipart"] = *request.accept_multipart;
    nlohmann::json warnings = nlohmann::json::array();
    for (const std::string& w : request.warnings) warnings.push_back(display_text(w));
    j["warnings"] = std::move(warnings);
    if (request.error) {
        j["error"] = {{"offset", request.error->offset},
                      {"in_decoded_query", request.error->in_decoded_query},
                      {"reason", display_text(request.error->reason)}};
    }
    return j;
}

void to_json(nlohmann::json& out, const EasRequestLine& request) {
    out = to_json(request);
}

}  // namespace eas
