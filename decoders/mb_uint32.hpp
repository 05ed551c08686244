// WBXML multi-byte unsigned integers (mb_u_int32): big-endian base-128, high bit = "more".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eas::wbxml {

enum class MbStatus { Ok, Truncated, TooLong, Overflow };

struct MbResult {
    MbStatus status = MbStatus::Ok;
    std::uint32_t value = 0;
    std::size_t length = 0;  // bytes consumed when Ok
};

// Reads an mb_u_int32 at bytes[pos]. At most 5 bytes; a value above 2^32-1 is Overflow.
inline MbResult read_mb_uint32(std::string_view bytes, std::size_t pos) {
    MbResult r;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        if (pos + i >= bytes.size()) {
            r.status = MbStatus::Truncated;
            return r;
        }
        const auto b = static_cast<std::uint8_t>(bytes[pos + i]);
        value = (value << 7) | (b & 0x7Fu);
        if ((b & 0x80u) == 0) {
            if (value > 0xFFFFFFFFu) {
                r.status = MbStatus::Overflow;
                return r;
            }
            r.value = static_cast<std::uint32_t>(value);
            r.length = i + 1;
            return r;
        }
    }
    r.status = MbStatus::TooLong;
    return r;
}

inline void write_mb_uint32(std::string& out, std::uint32_t value) {
    char buf[5];
    int n = 0;
    do {
        buf[n++] = static_cast<char>(value & 0x7Fu);
        value >>= 7;
    } while (value != 0);
    while (n > 1) out.push_back(static_cast<char>(buf[--n] | 0x80));
    out.push_back(buf[0]);
}

inline const char* describe(MbStatus s) {
    switch (s) {
        case MbStatus::Ok:
            return "ok";
        case MbStatus::Truncated:
            return "input ends inside a multi-byte integer";
        case MbStatus::TooLong:
            return "multi-byte integer longer than 5 bytes";
        case MbStatus::Overflow:
            return "multi-byte integer exceeds 32 bits";
    }
    return "?";
}

}  // namespace eas::wbxml
