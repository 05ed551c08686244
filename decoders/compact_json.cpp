#include "compact_json.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace eas {
namespace {

// Length of the valid UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, surrogates or
// code points past U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(const unsigned char* s, std::size_t i, std::size_t n) {
    const unsigned char c = s[i];
    auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
        return i + k < n && s[i + k] >= lo && s[i + k] <= hi;
    };
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}

// False (and nothing appended) when `s` is not valid UTF-8.
bool append_string(const std::string& s, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    const std::size_t start_size = out.size();
    out.reserve(out.size() + n + 2);
    out += '"';
    std::size_t run = 0;  // start of the bytes not yet copied
    std::size_t i = 0;
    while (i < n) {
        // Eight bytes at a time while none needs a look: no control character, quote,
        // backslash or non-ASCII byte (SWAR tests on a 64-bit word).
        if (i + 8 <= n) {
            std::uint64_t v;
            std::memcpy(&v, p + i, 8);
            constexpr std::uint64_t ones = 0x0101010101010101ULL;
            constexpr std::uint64_t highs = 0x8080808080808080ULL;
            const auto zero_byte = [&](std::uint64_t x) { return (x - ones) & ~x & highs; };
            const std::uint64_t special = (v & highs) | ((v - ones * 0x20) & ~v & highs) |
                                          zero_byte(v ^ (ones * '"')) |
                                          zero_byte(v ^ (ones * '\\'));
            if (special == 0) {
                i += 8;
                continue;
            }
        }
        const unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t len = utf8_sequence(p, i, n);
            if (len == 0) {
                out.resize(start_size);
                return false;
            }
            i += len;
            continue;
        }
        out.append(s, run, i - run);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default: {
                static constexpr char hex[] = "0123456789abcdef";
                const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                out.append(esc, 6);
            }
        }
        run = ++i;
    }
    out.append(s, run, n - run);
    out += '"';
    return true;
}

template <class T>
void append_integer(T v, std::string& out) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_nlohmann(const nlohmann::json& value, std::string& out) {
    out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void append_compact_json(const nlohmann::json& value, std::string& out) {
    using T = nlohmann::json::value_t;
    switch (value.type()) {
        case T::object: {
            out += '{';
            bool first = true;
            for (const auto& [key, member] : value.get_ref<const nlohmann::json::object_t&>()) {
                if (!first) out += ',';
                first = false;
                if (!append_string(key, out)) append_nlohmann(nlohmann::json(key), out);
                out += ':';
                append_compact_json(member, out);
            }
            out += '}';
            return;
        }
        case T::array: {
            out += '[';
            bool first = true;
            for (const auto& element : value.get_ref<const nlohmann::json::array_t&>()) {
                if (!first) out += ',';
                first = false;
                append_compact_json(element, out);
            }
            out += ']';
            return;
        }
        case T::string:
            if (!append_string(value.get_ref<const std::string&>(), out))
                append_nlohmann(value, out);
            return;
        case T::boolean:
            out += value.get<bool>() ? "true" : "false";
            return;
        case T::null:
            out += "null";
            return;
        case T::number_integer:
            append_integer(value.get<std::int64_t>(), out);
            return;
        case T::number_unsigned:
            append_integer(value.get<std::uint64_t>(), out);
            return;
        default:  // floating point, binary, discarded: nlohmann's own formatting
            append_nlohmann(value, out);
            return;
    }
}

std::string compact_json(const nlohmann::json& value) {
    std::string out;
    append_compact_json(value, out);
    return out;
}

}  // namespace eas
