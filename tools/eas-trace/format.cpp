#include "format.hpp"

#include <cstdio>

namespace eas::trace {

std::string human_bytes(std::uint64_t bytes) {
    if (bytes < 10'000) return std::to_string(bytes);
    const char* units = "KMGTP";
    double v = static_cast<double>(bytes) / 1024;
    int unit = 0;
    while (v >= 1000 && unit < 4) {
        v /= 1024;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%c", v, units[unit]);
    return buf;
}

std::string human_ms(double ms) {
    char buf[32];
    if (ms < 10)
        std::snprintf(buf, sizeof buf, "%.2f", ms);
    else if (ms < 1000)
        std::snprintf(buf, sizeof buf, "%.1f", ms);
    else
        std::snprintf(buf, sizeof buf, "%.0f", ms);
    return buf;
}

std::string human_ms(std::optional<double> ms) {
    return ms ? human_ms(*ms) : "-";
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
    if (whole == 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%",
                  100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return buf;
}

std::string url_authority(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return std::string(url);
    auto rest = url.substr(scheme + 3);
    return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

std::string pad_right(std::string_view text, std::size_t width) {
    std::string out(text);
    if (out.size() < width) out.append(width - out.size(), ' ');
    return out;
}

std::string pad_left(std::string_view text, std::size_t width) {
    std::string out;
    if (text.size() < width) out.append(width - text.size(), ' ');
    out += text;
    return out;
}

std::string ellipsize(std::string_view text, std::size_t width) {
    if (text.size() <= width || width < 4) return std::string(text);
    auto cut = width - 3;
    // Back up to the start of a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return std::string(text.substr(0, cut)) + "...";
}

}  // namespace eas::trace
