#include "text_output.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iomanip>

namespace eas::probe {
namespace {

constexpr std::size_t kNameWidth = 13;  // "TLS handshake", the longest step name
constexpr const char* kGreen = "32";
constexpr const char* kYellow = "33";
constexpr const char* kRed = "31";
constexpr const char* kDim = "2";
constexpr const char* kBold = "1";

const char* verdict_colour(Verdict v) {
    switch (v) {
        case Verdict::Pass:
            return kGreen;
        case Verdict::Warn:
            return kYellow;
        case Verdict::Fail:
            return kRed;
        default:
            return kDim;
    }
}

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

bool stdout_wants_colour() {
    // https://no-color.org: any value turns colour off.
    if (std::getenv("NO_COLOR")) return false;
    const char* term = std::getenv("TERM");
    if (term && std::string_view(term) == "dumb") return false;
    return ::isatty(STDOUT_FILENO) == 1;
}

std::string TextOutput::paint(std::string_view text, const char* code) const {
    if (!colour_) return std::string(text);
    return "\033[" + std::string(code) + "m" + std::string(text) + "\033[0m";
}

void TextOutput::header(const Options& o) {
    const auto& id = o.identity;
    out_ << paint("eas-probe " + o.target, kBold) << ": user " << id.user << ", EAS "
         << id.eas_version << ", DeviceId " << id.device_id << ", DeviceType " << id.device_type
         << ", User-Agent " << id.user_agent << "\n";
}

void TextOutput::step(const Step& s) {
    if (s.target != last_target_) {
        out_ << "\n" << paint(s.target, kBold) << "\n";
        last_target_ = s.target;
    }
    std::string name = s.name;
    if (name.size() < kNameWidth) name.append(kNameWidth - name.size(), ' ');
    out_ << "  " << paint(verdict_name(s.verdict), verdict_colour(s.verdict)) << "  " << name;
    if (s.verdict == Verdict::Skip) {
        out_ << "          ";
    } else {
        out_ << std::setw(7) << s.ms << " ms";
    }
    out_ << "  " << s.summary << "\n";
    for (const auto& d : s.details) out_ << "        " << paint(d, kDim) << "\n";
    out_.flush();
}

void TextOutput::footer(const Report& r) {
    const Verdict overall = r.overall();
    std::string counts = plural(r.count(Verdict::Pass), "passed", "passed");
    auto named = [&r](Verdict v) {
        std::string names;
        for (const auto& s : r.steps()) {
            if (s.verdict == v) names += (names.empty() ? "" : ", ") + s.name;
        }
        return names;
    };
    if (r.count(Verdict::Warn))
        counts += ", " + plural(r.count(Verdict::Warn), "warning", "warnings") + " (" +
                  named(Verdict::Warn) + ")";
    if (r.count(Verdict::Fail))
        counts += ", " + plural(r.count(Verdict::Fail), "failure", "failures") + " (" +
                  named(Verdict::Fail) + ")";
    if (r.count(Verdict::Skip))
        counts += ", " + std::to_string(r.count(Verdict::Skip)) + " not run";
    out_ << "\n"
         << paint("Result: " + std::string(verdict_name(overall)), verdict_colour(overall))
         << " (exit " << r.exit_status() << "): " << counts << "\n";
    if (!r.eas_url.empty()) out_ << "EAS URL: " << r.eas_url << "\n";
    out_.flush();
}

}  // namespace eas::probe
