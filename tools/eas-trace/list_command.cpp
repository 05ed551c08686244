#include "list_command.hpp"

#include "format.hpp"
#include "iso_time.hpp"

namespace eas::trace {
namespace {

struct Column {
    const char* title;
    std::size_t width;
    bool right;
};

// Fixed widths: rows are printed as they are read, so the widest value is never known.
// Longer values push the row along rather than being cut.
constexpr Column kColumns[] = {
    {"N", 5, true},      {"TIME (UTC)", 23, false}, {"USER", 10, false}, {"DEVICE", 14, false},
    {"TYPE", 14, false}, {"COMMAND", 14, false},    {"HTTP", 4, true},   {"EAS", 4, true},
    {"MS", 8, true},     {"UP", 7, true},           {"DOWN", 7, true},   {"NOTE", 0, false},
};

std::string join_row(const std::string (&cells)[std::size(kColumns)]) {
    std::string line;
    for (std::size_t i = 0; i < std::size(kColumns); ++i) {
        const auto& c = kColumns[i];
        if (i > 0) line += "  ";
        line += c.right ? pad_left(cells[i], c.width) : pad_right(cells[i], c.width);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line;
}

std::string or_dash(const std::string& s) {
    return s.empty() ? "-" : s;
}

}  // namespace

std::string list_note(const Summary& s) {
    std::string note;
    auto add = [&note](const std::string& part) {
        if (!note.empty()) note += " | ";
        note += part;
    };
    if (s.has_redirect) {
        std::string r = "451 " + or_dash(s.redirect_decision);
        if (!s.x_ms_location.empty()) r += " -> " + url_authority(s.x_ms_location);
        if (!s.sent_to_device.empty())
            r += " (device told " + url_authority(s.sent_to_device) + ")";
        add(r);
    } else if (s.http_status == 451) {
        add("451 without X-MS-Location");
    }
    if (s.has_error) {
        std::string e = "error";
        if (!s.error_stage.empty()) e += " (" + s.error_stage + ")";
        if (!s.error_reason.empty()) e += ": " + ellipsize(s.error_reason, 80);
        add(e);
    }
    if (s.eas_status && *s.eas_status != 1 && !s.eas_words.empty()) add(s.eas_words);
    return note;
}

std::string list_header() {
    std::string cells[std::size(kColumns)];
    for (std::size_t i = 0; i < std::size(kColumns); ++i) cells[i] = kColumns[i].title;
    return join_row(cells);
}

std::string list_row(const Record& r) {
    const auto& s = *r.summary;
    std::string http = "-";
    if (s.http_status)
        http = std::to_string(*s.http_status);
    else if (s.answered)
        http = std::to_string(*s.answered) + "*";  // answered by easproxy itself
    const std::string cells[std::size(kColumns)] = {
        std::to_string(r.number),
        s.time_ms ? format_utc_ms(*s.time_ms) : or_dash(s.time),
        or_dash(s.user),
        or_dash(s.device_id),
        or_dash(s.device_type),
        or_dash(s.command),
        http,
        s.eas_status ? std::to_string(*s.eas_status) : "-",
        human_ms(s.total_ms),
        human_bytes(s.bytes_up),
        human_bytes(s.bytes_down),
        list_note(s),
    };
    return join_row(cells);
}

int run_list(TraceReader& reader, const ListOptions& options, std::ostream& out) {
    if (!options.json) out << list_header() << "\n";
    reader.read([&](const Record& r) {
        if (!options.filter.matches(*r.summary)) return true;
        if (options.json)
            out << r.text << "\n";
        else
            out << list_row(r) << "\n";
        return true;
    });
    out.flush();
    return reader.finish();
}

}  // namespace eas::trace
