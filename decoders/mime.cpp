#include "mime.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "ascii.hpp"
#include "charset.hpp"

namespace eas::mime {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// ---- transfer decodings (one implementation for counting and for decoding) ---------------

struct CountSink {
    std::uint64_t count = 0;
    bool put(char) {
        ++count;
        return true;
    }
};

struct StringSink {
    std::string& out;
    std::size_t max;
    bool truncated = false;
    bool put(char c) {
        if (out.size() >= max) {
            truncated = true;
            return false;
        }
        out.push_back(c);
        return true;
    }
};

constexpr std::array<std::int8_t, 256> make_base64_reverse() {
    std::array<std::int8_t, 256> r{};
    for (auto& v : r) v = -1;
    constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
        r[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return r;
}
constexpr auto kBase64Reverse = make_base64_reverse();

// RFC 2045 6.8: characters outside the alphabet are ignored; '=' ends the data.
template <class Sink>
void base64_decode_into(std::string_view in, Sink& sink) {
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') return;
        const int v = kBase64Reverse[static_cast<unsigned char>(c)];
        if (v < 0) continue;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (!sink.put(static_cast<char>((acc >> bits) & 0xFF))) return;
        }
    }
}

// RFC 2045 6.7, leniently: trailing whitespace on a line is dropped, "=" at the end of a line
// is a soft break, "=XX" a byte, any other "=" kept. Line breaks are kept as sent (CRLF or LF).
template <class Sink>
void qp_decode_into(std::string_view in, Sink& sink) {
    std::size_t i = 0;
    while (i < in.size()) {
        const std::size_t nl = in.find('\n', i);
        const std::size_t line_end = nl == npos ? in.size() : nl;
        std::size_t content_end = line_end;
        if (content_end > i && in[content_end - 1] == '\r') --content_end;
        std::size_t ce = content_end;
        while (ce > i && (in[ce - 1] == ' ' || in[ce - 1] == '\t')) --ce;
        bool soft = false;
        std::size_t j = i;
        while (j < ce) {
            const char c = in[j];
            if (c == '=') {
                if (j + 1 == ce) {
                    soft = true;
                    ++j;
                    continue;
                }
                if (j + 2 < ce && hex_digit_value(in[j + 1]) >= 0 &&
                    hex_digit_value(in[j + 2]) >= 0) {
                    if (!sink.put(static_cast<char>(hex_digit_value(in[j + 1]) << 4 |
                                                    hex_digit_value(in[j + 2]))))
                        return;
                    j += 3;
                    continue;
                }
            }
            if (!sink.put(c)) return;
            ++j;
        }
        if (nl == npos) return;
        if (!soft) {
            for (std::size_t k = content_end; k <= nl; ++k) {
                if (!sink.put(in[k])) return;
            }
        }
        i = nl + 1;
    }
}

bool is_identity_encoding(std::string_view cte) {
    return cte.empty() || cte == "7bit" || cte == "8bit" || cte == "binary";
}

// ---- encoded-words -----------------------------------------------------------------------

// Parses one encoded-word at text[at] ("=?"). On success returns its decoded UTF-8 and sets
// end. When no "?=" comes before the next whitespace, sets dead_until to that whitespace: no
// "=?" before it can start an encoded-word either, which keeps decoding linear.
std::optional<std::string> encoded_word(std::string_view text, std::size_t at, std::size_t& end,
                                        std::size_t& dead_until) {
    const std::size_t i = at + 2;
    const std::size_t q1 = text.substr(0, std::min(text.size(), i + 65)).find('?', i);
    if (q1 == npos || q1 == i) return std::nullopt;
    std::string_view charset = text.substr(i, q1 - i);
    if (charset.find_first_of(" \t\r\n") != npos) return std::nullopt;
    charset = charset.substr(0, charset.find('*'));  // RFC 2231 language suffix
    if (q1 + 2 >= text.size() || text[q1 + 2] != '?') return std::nullopt;
    const char enc = ascii_lower(text[q1 + 1]);
    if (enc != 'b' && enc != 'q') return std::nullopt;
    const std::size_t start = q1 + 3;
    std::size_t close = start;
    while (close < text.size() &&
           !(text[close] == '?' && close + 1 < text.size() && text[close + 1] == '=')) {
        if (is_ascii_space(text[close])) {
            dead_until = close;
            return std::nullopt;
        }
        ++close;
    }
    if (close >= text.size()) {
        dead_until = text.size();
        return std::nullopt;
    }
    const std::string_view payload = text.substr(start, close - start);

    std::string bytes;
    if (enc == 'b') {
        StringSink sink{bytes, payload.size()};
        base64_decode_into(payload, sink);
    } else {
        for (std::size_t k = 0; k < payload.size(); ++k) {
            const char c = payload[k];
            if (c == '_') {
                bytes.push_back(' ');
            } else if (c == '=' && k + 2 < payload.size() && hex_digit_value(payload[k + 1]) >= 0 &&
                       hex_digit_value(payload[k + 2]) >= 0) {
                bytes.push_back(static_cast<char>(hex_digit_value(payload[k + 1]) << 4 |
                                                  hex_digit_value(payload[k + 2])));
                k += 2;
            } else {
                bytes.push_back(c);
            }
        }
    }
    auto utf8 = charset_to_utf8(bytes, charset);
    if (!utf8) return std::nullopt;
    end = close + 2;
    return utf8;
}

// ---- structured header values (Content-Type and friends) ---------------------------------

struct RawParam {
    std::string name;  // lower-cased, as sent ("filename*0*")
    std::string value;
};

struct Structured {
    std::string token;  // lower-cased main value ("text/plain", "attachment", "base64")
    std::vector<RawParam> params;
};

// Skips whitespace and (nested) comments.
std::size_t skip_cfws(std::string_view v, std::size_t i) {
    while (i < v.size()) {
        if (is_ascii_space(v[i])) {
            ++i;
        } else if (v[i] == '(') {
            int level = 0;
            while (i < v.size()) {
                if (v[i] == '\\') {
                    i += 2;
                    continue;
                }
                if (v[i] == '(') ++level;
                if (v[i] == ')' && --level == 0) {
                    ++i;
                    break;
                }
                ++i;
            }
        } else {
            break;
        }
    }
    return std::min(i, v.size());
}

// Reads up to one of `stops` (or whitespace or a comment), outside quotes.
std::string read_token(std::string_view v, std::size_t& i, std::string_view stops) {
    const std::size_t start = i;
    while (i < v.size() && stops.find(v[i]) == npos && !is_ascii_space(v[i]) && v[i] != '(') ++i;
    return std::string(v.substr(start, i - start));
}

std::string read_quoted(std::string_view v, std::size_t& i) {
    std::string out;
    ++i;  // opening quote
    while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        out.push_back(v[i]);
        ++i;
    }
    if (i < v.size()) ++i;  // closing quote (missing: the value runs to the end)
    return out;
}

Structured parse_structured(std::string_view v) {
    Structured s;
    std::size_t i = skip_cfws(v, 0);
    // The main value may contain '/' but never ';'. Some senders put spaces around the '/'.
    std::string token;
    while (i < v.size() && v[i] != ';') {
        if (v[i] == '(') {
            i = skip_cfws(v, i);
            continue;
        }
        if (!is_ascii_space(v[i])) token.push_back(ascii_lower(v[i]));
        ++i;
    }
    s.token = token;
    while (i < v.size()) {
        if (v[i] == ';') ++i;
        i = skip_cfws(v, i);
        if (i >= v.size()) break;
        std::string name = to_lower(read_token(v, i, "=;"));
        i = skip_cfws(v, i);
        std::string value;
        if (i < v.size() && v[i] == '=') {
            i = skip_cfws(v, i + 1);
            if (i < v.size() && v[i] == '"') {
                value = read_quoted(v, i);
            } else {
                // Unquoted values in the wild contain spaces ("name=my file.pdf"): read to ';'.
                const std::size_t start = i;
                while (i < v.size() && v[i] != ';') ++i;
                value = std::string(trim(v.substr(start, i - start)));
            }
        }
        // Skip anything left before the next ';' (garbage after a quoted string).
        while (i < v.size() && v[i] != ';') ++i;
        if (!name.empty()) s.params.push_back({std::move(name), std::move(value)});
    }
    return s;
}

// Joins RFC 2231 sections and decodes extended values; decodes encoded-words.
std::vector<Param> resolve_params(const std::vector<RawParam>& raw) {
    struct Section {
        std::size_t index;
        bool extended;
        const std::string* value;
    };
    std::vector<std::string> order;  // base names in first-seen order
    std::map<std::string, std::vector<Section>> sections;
    std::map<std::string, const std::string*> plain;
    for (const RawParam& p : raw) {
        std::string_view name = p.name;
        const std::size_t star = name.find('*');
        if (star == npos) {
            if (!plain.count(p.name) && !sections.count(p.name)) order.push_back(p.name);
            if (!plain.count(p.name)) plain[p.name] = &p.value;
            continue;
        }
        const std::string base(name.substr(0, star));
        std::string_view rest = name.substr(star + 1);  // "", "0", "0*", "1"
        bool extended = false;
        std::size_t index = 0;
        if (rest.empty()) {
            extended = true;  // name*=charset'lang'value
        } else {
            if (rest.back() == '*') {
                extended = true;
                rest.remove_suffix(1);
            }
            if (rest.empty() || rest.size() > 4 || rest.find_first_not_of("0123456789") != npos) {
                continue;  // malformed section name: ignored
            }
            index = static_cast<std::size_t>(std::stoul(std::string(rest)));
        }
        if (!plain.count(base) && !sections.count(base)) order.push_back(base);
        sections[base].push_back({index, extended, &p.value});
    }

    std::vector<Param> out;
    for (const std::string& base : order) {
        Param param{base, {}};
        auto it = sections.find(base);
        if (it != sections.end()) {
            auto& secs = it->second;
            std::stable_sort(secs.begin(), secs.end(),
                             [](const Section& a, const Section& b) { return a.index < b.index; });
            std::string bytes;
            std::string charset;
            bool any_extended = false;
            for (std::size_t k = 0; k < secs.size(); ++k) {
                std::string_view v = *secs[k].value;
                if (secs[k].extended) {
                    any_extended = true;
                    if (k == 0) {
                        const std::size_t q1 = v.find('\'');
                        const std::size_t q2 = q1 == npos ? npos : v.find('\'', q1 + 1);
                        if (q2 != npos) {
                            charset = std::string(v.substr(0, q1));
                            v = v.substr(q2 + 1);
                        }
                    }
                    bytes += percent_decode(v);
                } else {
                    bytes += v;
                }
            }
            std::optional<std::string> converted;
            if (any_extended && !charset.empty()) converted = charset_to_utf8(bytes, charset);
            param.value = converted ? *converted : bytes;
        } else {
            param.value = *plain[base];
        }
        if (param.value.find("=?") != npos) param.value = decode_encoded_words(param.value);
        out.push_back(std::move(param));
    }
    return out;
}

const std::string* find_param(const std::vector<Param>& params, std::string_view name) {
    for (const Param& p : params) {
        if (p.name == name) return &p.value;
    }
    return nullptr;
}

// ---- the parser ----------------------------------------------------------------------------

struct Line {
    std::size_t start;
    std::size_t content_end;  // before CRLF or LF
    std::size_t next;         // after the line break (end when there is none)
};

class Parser {
  public:
    Parser(std::string_view in, const Limits& limits)
        : in_(in), lim_(limits), max_depth_(std::min<std::size_t>(limits.max_depth, kDepthCap)) {}

    Message run() {
        parse_entity(0, in_.size(), 0, -1, "text/plain");
        return std::move(msg_);
    }

  private:
    // The parser recurses once per level: whatever the caller asks, the stack stays small.
    static constexpr std::size_t kDepthCap = 256;

    std::string_view in_;
    const Limits& lim_;
    std::size_t max_depth_;
    Message msg_;
    bool stop_ = false;  // part limit reached: parse no further entities
    std::size_t dropped_warnings_ = 0;

    void warn(std::string text) {
        if (msg_.warnings.size() < lim_.max_warnings) {
            msg_.warnings.push_back(std::move(text));
        } else if (++dropped_warnings_ == 1 && !msg_.warnings.empty()) {
            msg_.warnings.back() = "... further warnings dropped";
        }
    }

    void fail(std::uint64_t offset, std::string reason) {
        if (!msg_.error) {
            msg_.error = DecodeError{offset, std::move(reason)};
        } else {
            warn("at byte " + std::to_string(offset) + ": " + reason);
        }
    }

    Line line_at(std::size_t pos, std::size_t end) const {
        const std::size_t nl = in_.substr(pos, end - pos).find('\n');
        if (nl == npos) return {pos, end, end};
        const std::size_t at = pos + nl;
        const std::size_t content_end = at > pos && in_[at - 1] == '\r' ? at - 1 : at;
        return {pos, content_end, at + 1};
    }

    static bool valid_field_name(std::string_view name) {
        if (name.empty()) return false;
        for (char c : name) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 33 || u > 126 || c == ':') return false;
        }
        return true;
    }

    void finish_field(Part& p, std::optional<Header>& field) {
        if (!field) return;
        field->raw = std::string(trim(field->raw));
        field->value =
            field->raw.find("=?") != npos ? decode_encoded_words(field->raw) : field->raw;
        p.headers.push_back(std::move(*field));
        field.reset();
    }

    // Reads the header block of the entity at [begin, end) into part `idx`; returns the body
    // offset. `terminated` tells whether an empty line (or a non-field line) ended the block.
    std::size_t parse_headers(std::size_t idx, std::size_t begin, std::size_t end,
                              bool& terminated) {
        std::optional<Header> field;
        bool surplus_warned = false;
        bool skipping_field = false;  // a field past max_headers: its continuations are skipped
        std::size_t pos = begin;
        terminated = false;
        while (pos < end) {
            const Line l = line_at(pos, end);
            const std::string_view line = in_.substr(l.start, l.content_end - l.start);
            Part& p = msg_.parts[idx];
            if (line.empty()) {
                finish_field(p, field);
                terminated = true;
                return l.next;
            }
            if (line[0] == ' ' || line[0] == '\t') {
                if (field) {
                    append_capped(*field, line);
                } else if (!skipping_field) {
                    warn("line at byte " + std::to_string(l.start) +
                         " starts with whitespace but follows no header field; the body is "
                         "taken to start there");
                    terminated = true;
                    return l.start;
                }
                pos = l.next;
                continue;
            }
            const std::size_t colon = line.find(':');
            const std::string_view name =
                colon == npos ? std::string_view{} : trim(line.substr(0, colon));
            if (colon == npos || !valid_field_name(name)) {
                if (pos == begin && line.substr(0, 5) == "From ") {  // mbox separator line
                    warn("mbox \"From \" line at byte " + std::to_string(l.start) + " skipped");
                    pos = l.next;
                    continue;
                }
                finish_field(p, field);
                if (l.content_end == end && !p.headers.empty() && valid_field_name(line)) {
                    return end;  // the input stops inside a field name: truncated header block
                }
                warn("line at byte " + std::to_string(l.start) +
                     " is not a header field; the body is taken to start there");
                terminated = true;
                return l.start;
            }
            finish_field(p, field);
            if (p.headers.size() >= lim_.max_headers) {
                if (!surplus_warned) {
                    warn("more than " + std::to_string(lim_.max_headers) +
                         " header fields in the entity at byte " + std::to_string(begin) +
                         "; the rest are skipped");
                    surplus_warned = true;
                }
                skipping_field = true;
                pos = l.next;
                continue;
            }
            skipping_field = false;
            field = Header{};
            field->name = std::string(name);
            field->offset = l.start;
            append_capped(*field, line.substr(colon + 1));
            pos = l.next;
        }
        finish_field(msg_.parts[idx], field);
        return end;
    }

    void append_capped(Header& h, std::string_view text) {
        if (h.cut) return;
        if (h.raw.size() + text.size() > lim_.max_header_bytes) {
            h.raw.append(text.substr(0, lim_.max_header_bytes - h.raw.size()));
            h.cut = true;
            warn("header field \"" + sanitize_utf8(h.name.substr(0, 64)) + "\" at byte " +
                 std::to_string(h.offset) + " is longer than " +
                 std::to_string(lim_.max_header_bytes) + " bytes; cut");
            return;
        }
        h.raw.append(text);
    }

    void interpret_headers(std::size_t idx, std::string_view default_type) {
        Part& p = msg_.parts[idx];
        bool seen_type = false;
        bool seen_cte = false;
        bool seen_disposition = false;
        for (const Header& h : p.headers) {
            if (iequals(h.name, "Content-Type")) {
                if (seen_type) {
                    warn("second Content-Type field at byte " + std::to_string(h.offset) +
                         " ignored");
                    continue;
                }
                seen_type = true;
                Structured s = parse_structured(h.raw);
                const std::size_t slash = s.token.find('/');
                if (slash == npos || slash == 0 || slash + 1 == s.token.size()) {
                    warn("Content-Type \"" + sanitize_utf8(h.raw.substr(0, 100)) + "\" at byte " +
                         std::to_string(h.offset) + " has no type/subtype; taken as " +
                         std::string(default_type));
                } else {
                    p.content_type = s.token;
                }
                p.params = resolve_params(s.params);
            } else if (iequals(h.name, "Content-Transfer-Encoding")) {
                if (seen_cte) continue;
                seen_cte = true;
                p.transfer_encoding = parse_structured(h.raw).token;
            } else if (iequals(h.name, "Content-Disposition")) {
                if (seen_disposition) continue;
                seen_disposition = true;
                Structured s = parse_structured(h.raw);
                p.disposition = s.token;
                const auto params = resolve_params(s.params);
                if (const std::string* f = find_param(params, "filename")) p.filename = *f;
            } else if (iequals(h.name, "Content-ID") && p.content_id.empty()) {
                std::string_view id = trim(h.raw);
                if (id.size() >= 2 && id.front() == '<' && id.back() == '>') {
                    id = id.substr(1, id.size() - 2);
                }
                p.content_id = std::string(id);
            }
        }
        if (p.content_type.empty()) {
            p.content_type = std::string(default_type);
            p.content_type_defaulted = true;
        }
        if (const std::string* v = find_param(p.params, "charset")) p.charset = *v;
        if (const std::string* v = find_param(p.params, "name")) p.name = *v;
        if (p.is_multipart()) {
            if (const std::string* v = find_param(p.params, "boundary")) p.boundary = *v;
        }
    }

    // Parses the entity at [begin, end); returns its index, or -1 when the part limit stops it.
    std::int64_t parse_entity(std::size_t begin, std::size_t end, std::uint32_t depth,
                              std::int64_t parent, std::string_view default_type) {
        if (stop_) return -1;
        if (msg_.parts.size() >= std::max<std::size_t>(lim_.max_parts, 1)) {
            fail(begin, "more than " + std::to_string(lim_.max_parts) +
                            " MIME parts; the rest is not parsed");
            stop_ = true;
            return -1;
        }
        const std::size_t idx = msg_.parts.size();
        msg_.parts.emplace_back();
        {
            Part& p = msg_.parts[idx];
            p.offset = begin;
            p.length = end - begin;
            p.depth = depth;
            p.parent = parent;
        }
        if (parent >= 0) {
            msg_.parts[static_cast<std::size_t>(parent)].children.push_back(
                static_cast<std::uint32_t>(idx));
        }

        bool terminated = false;
        const std::size_t body = parse_headers(idx, begin, end, terminated);
        if (!terminated && begin < end) {
            const std::string what = "header block of the entity at byte " + std::to_string(begin) +
                                     " runs to the end without an empty line";
            if (parent < 0) {
                fail(end, what + " (truncated?)");
            } else if (in_[end - 1] != '\n') {
                // A part that is only header lines is fine (RFC 5322: the body is optional);
                // one whose last line has no line break was cut.
                warn(what);
            }
        }
        {
            Part& p = msg_.parts[idx];
            p.body_offset = body;
            p.body_length = end - body;
        }
        interpret_headers(idx, default_type);

        Part& p = msg_.parts[idx];
        const std::string type = p.content_type;
        const std::string cte = p.transfer_encoding;
        if (p.is_multipart()) {
            p.decoded_size = p.body_length;
            if (!is_identity_encoding(cte)) {
                warn(type + " at byte " + std::to_string(begin) +
                     " has Content-Transfer-Encoding " + std::string(cte) +
                     ", which RFC 2045 forbids for multipart");
            }
            if (p.boundary.empty()) {
                warn(type + " at byte " + std::to_string(begin) +
                     " has no boundary parameter; its body is not split");
            } else if (depth >= max_depth_) {
                fail(body, type + " at byte " + std::to_string(begin) + " is nested deeper than " +
                               std::to_string(max_depth_) + " levels; not split");
            } else {
                const std::string boundary = p.boundary;
                split_multipart(idx, body, end, depth, boundary, type);
            }
        } else if ((type == "message/rfc822" || type == "message/global") &&
                   is_identity_encoding(cte)) {
            p.decoded_size = p.body_length;
            if (depth >= max_depth_) {
                fail(body, type + " at byte " + std::to_string(begin) + " is nested deeper than " +
                               std::to_string(max_depth_) + " levels; not parsed");
            } else if (body < end) {
                parse_entity(body, end, depth + 1, static_cast<std::int64_t>(idx), "text/plain");
            }
        } else {
            p.decoded_size = decoded_size(in_.substr(body, end - body), cte);
        }
        return static_cast<std::int64_t>(idx);
    }

    static std::optional<std::uint64_t> decoded_size(std::string_view body, std::string_view cte) {
        if (is_identity_encoding(cte)) return body.size();
        CountSink sink;
        if (cte == "base64") {
            base64_decode_into(body, sink);
            return sink.count;
        }
        if (cte == "quoted-printable") {
            qp_decode_into(body, sink);
            return sink.count;
        }
        return std::nullopt;
    }

    // 0: not a delimiter line; 1: "--boundary"; 2: "--boundary--" (whitespace may follow).
    static int delimiter_kind(std::string_view line, std::string_view boundary) {
        if (line.size() < boundary.size() + 2 || line[0] != '-' || line[1] != '-') return 0;
        if (line.substr(2, boundary.size()) != boundary) return 0;
        std::string_view rest = line.substr(boundary.size() + 2);
        int kind = 1;
        if (rest.substr(0, 2) == "--") {
            kind = 2;
            rest.remove_prefix(2);
        }
        for (char c : rest) {
            if (c != ' ' && c != '\t' && c != '\r') return 0;  // '\r': a CRLF cut after its CR
        }
        return kind;
    }

    // The end of content that a delimiter line at `line_start` closes: the line break before the
    // delimiter belongs to it (RFC 2046 5.1.1).
    std::size_t content_end_before(std::size_t line_start, std::size_t content_start) const {
        std::size_t e = line_start;
        if (e > content_start && in_[e - 1] == '\n') --e;
        if (e > content_start && in_[e - 1] == '\r') --e;
        return e;
    }

    void split_multipart(std::size_t idx, std::size_t body, std::size_t end, std::uint32_t depth,
                         const std::string& boundary, const std::string& type) {
        const std::string_view child_default =
            type == "multipart/digest" ? "message/rfc822" : "text/plain";
        if (boundary.size() > 70) {
            warn("boundary of the " + type + " at byte " + std::to_string(msg_.parts[idx].offset) +
                 " is " + std::to_string(boundary.size()) + " characters (RFC 2046 allows 70)");
        }
        std::size_t pos = body;
        std::size_t part_start = npos;
        bool closed = false;
        while (pos < end && !stop_) {
            const Line l = line_at(pos, end);
            const int kind = delimiter_kind(in_.substr(l.start, l.content_end - l.start), boundary);
            if (kind != 0) {
                if (part_start != npos) {
                    parse_entity(part_start, content_end_before(l.start, part_start), depth + 1,
                                 static_cast<std::int64_t>(idx), child_default);
                }
                if (kind == 2) {
                    closed = true;
                    break;
                }
                part_start = l.next;
            }
            pos = l.next;
        }
        if (stop_) return;
        const std::string where = type + " body at byte " + std::to_string(body) + " (boundary \"" +
                                  sanitize_utf8(std::string_view(boundary).substr(0, 100)) + "\")";
        if (part_start == npos && !closed) {
            fail(body, where + " has no delimiter line");
            return;
        }
        if (!closed) {
            if (part_start < end) {
                parse_entity(part_start, end, depth + 1, static_cast<std::int64_t>(idx),
                             child_default);
            }
            fail(end, where + " has no closing delimiter (truncated?)");
        }
    }
};

std::string bytes_text(std::uint64_t n) {
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

}  // namespace

const Header* Part::header(std::string_view field) const {
    for (const Header& h : headers) {
        if (iequals(h.name, field)) return &h;
    }
    return nullptr;
}

Message parse_mime(std::string_view input, const Limits& limits) {
    return Parser(input, limits).run();
}

std::string decode_encoded_words(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::string pending_space;
    bool last_was_word = false;
    std::size_t i = 0;
    std::size_t dead_until = 0;
    while (i < text.size()) {
        if (i >= dead_until && text[i] == '=' && i + 1 < text.size() && text[i + 1] == '?') {
            std::size_t end = 0;
            if (auto decoded = encoded_word(text, i, end, dead_until)) {
                if (!last_was_word) out += pending_space;  // space between words is dropped
                pending_space.clear();
                out += *decoded;
                last_was_word = true;
                i = end;
                continue;
            }
        }
        const char c = text[i++];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            pending_space.push_back(c);
            continue;
        }
        out += pending_space;
        pending_space.clear();
        out.push_back(c);
        last_was_word = false;
    }
    out += pending_space;
    return out;
}

std::string_view part_body(std::string_view input, const Part& part) {
    if (part.body_offset > input.size()) return {};
    const auto off = static_cast<std::size_t>(part.body_offset);
    return input.substr(off, static_cast<std::size_t>(
                                 std::min<std::uint64_t>(part.body_length, input.size() - off)));
}

DecodedBody decode_part_body(std::string_view input, const Part& part, std::size_t max_output) {
    DecodedBody r;
    const std::string_view body = part_body(input, part);
    StringSink sink{r.data, max_output};
    if (part.transfer_encoding == "base64") {
        r.data.reserve(std::min(max_output, body.size() / 4 * 3 + 3));
        base64_decode_into(body, sink);
    } else if (part.transfer_encoding == "quoted-printable") {
        r.data.reserve(std::min(max_output, body.size()));
        qp_decode_into(body, sink);
    } else {
        r.unknown_encoding = !is_identity_encoding(part.transfer_encoding);
        r.data.assign(body.substr(0, max_output));
        sink.truncated = body.size() > max_output;
    }
    r.truncated = sink.truncated;
    return r;
}

HeaderSummary summarize_headers(const Part& part) {
    HeaderSummary s;
    const auto get = [&](std::string_view name) {
        const Header* h = part.header(name);
        return h ? h->value : std::string();
    };
    s.from = get("From");
    s.to = get("To");
    s.cc = get("Cc");
    s.subject = get("Subject");
    s.date = get("Date");
    s.message_id = get("Message-ID");
    s.mime_version = get("MIME-Version");
    s.mailer = get("X-Mailer");
    if (s.mailer.empty()) s.mailer = get("User-Agent");
    return s;
}

Summary summarize(const Message& message) {
    Summary s;
    if (!message.parts.empty()) s.headers = summarize_headers(message.parts[0]);
    s.parts.reserve(message.parts.size());
    for (const Part& p : message.parts) {
        PartSummary ps;
        ps.depth = p.depth;
        ps.content_type = p.content_type;
        ps.charset = p.charset;
        ps.name = p.display_name();
        ps.disposition = p.disposition;
        ps.transfer_encoding = p.transfer_encoding;
        ps.offset = p.offset;
        ps.length = p.length;
        ps.body_length = p.body_length;
        ps.decoded_size = p.decoded_size;
        ps.children = static_cast<std::uint32_t>(p.children.size());
        ps.multipart = p.is_multipart();
        s.parts.push_back(std::move(ps));
    }
    s.warnings = message.warnings;
    s.error = message.error;
    return s;
}

std::string format_tree(const Summary& summary) {
    std::string out;
    for (const PartSummary& p : summary.parts) {
        out.append(2 * static_cast<std::size_t>(p.depth), ' ');
        out += sanitize_utf8(p.content_type);
        if (p.multipart) {
            out += " (" + std::to_string(p.children) + (p.children == 1 ? " part)" : " parts)");
            out += '\n';
            continue;
        }
        if (!p.charset.empty()) out += "; charset=" + sanitize_utf8(p.charset);
        if (!p.name.empty()) out += " \"" + sanitize_utf8(p.name) + "\"";
        if (p.children > 0) {  // message/rfc822: its entity follows, indented
            out += '\n';
            continue;
        }
        out += ", ";
        if (p.decoded_size) {
            out += bytes_text(*p.decoded_size);
            if (!is_identity_encoding(p.transfer_encoding)) {
                out += " (" + sanitize_utf8(p.transfer_encoding) + ")";
            }
        } else {
            out +=
                bytes_text(p.body_length) + " encoded (" + sanitize_utf8(p.transfer_encoding) + ")";
        }
        out += '\n';
    }
    if (summary.error) {
        out += "error at byte " + std::to_string(summary.error->offset) + ": " +
               sanitize_utf8(summary.error->reason) + "\n";
    }
    return out;
}

std::string format_headers(const HeaderSummary& h) {
    std::string out;
    const auto add = [&](std::string_view name, const std::string& value) {
        if (value.empty()) return;
        out += std::string(name) + ": " + sanitize_utf8(value) + "\n";
    };
    add("From", h.from);
    add("To", h.to);
    add("Cc", h.cc);
    add("Subject", h.subject);
    add("Date", h.date);
    add("Message-ID", h.message_id);
    add("MIME-Version", h.mime_version);
    add("Mailer", h.mailer);
    return out;
}

nlohmann::json to_json(const Summary& summary) {
    nlohmann::json j = nlohmann::json::object();
    nlohmann::json headers = nlohmann::json::object();
    const auto add = [&](std::string_view key, const std::string& value) {
        if (!value.empty()) headers[std::string(key)] = sanitize_utf8(value);
    };
    add("from", summary.headers.from);
    add("to", summary.headers.to);
    add("cc", summary.headers.cc);
    add("subject", summary.headers.subject);
    add("date", summary.headers.date);
    add("message_id", summary.headers.message_id);
    add("mime_version", summary.headers.mime_version);
    add("mailer", summary.headers.mailer);
    j["headers"] = std::move(headers);

    nlohmann::json parts = nlohmann::json::array();
    for (const PartSummary& p : summary.parts) {
        nlohmann::json o = nlohmann::json::object();
        o["depth"] = p.depth;
        o["content_type"] = sanitize_utf8(p.content_type);
        if (!p.charset.empty()) o["charset"] = sanitize_utf8(p.charset);
        if (!p.name.empty()) o["name"] = sanitize_utf8(p.name);
        if (!p.disposition.empty()) o["disposition"] = sanitize_utf8(p.disposition);
        if (!p.transfer_encoding.empty()) {
            o["transfer_encoding"] = sanitize_utf8(p.transfer_encoding);
        }
        o["offset"] = p.offset;
        o["length"] = p.length;
        o["body_length"] = p.body_length;
        if (p.decoded_size) o["decoded_size"] = *p.decoded_size;
        if (p.children > 0 || p.multipart) o["children"] = p.children;
        parts.push_back(std::move(o));
    }
    j["parts"] = std::move(parts);
    if (!summary.warnings.empty()) {
        nlohmann::json w = nlohmann::json::array();
        for (const std::string& s : summary.warnings) w.push_back(sanitize_utf8(s));
        j["warnings"] = std::move(w);
    }
    if (summary.error) {
        j["error"] = {{"offset", summary.error->offset},
                      {"reason", sanitize_utf8(summary.error->reason)}};
    }
    return j;
}

}  // namespace eas::mime
