#include "reader.hpp"

#include "ascii.hpp"
#include "input.hpp"

namespace eas::trace {
namespace {

// How an input is named in messages: "-" reads better as stdin.
std::string shown(const std::string& file) {
    return file == "-" ? "stdin" : file;
}

}  // namespace

TraceReader::TraceReader(std::vector<std::string> files, std::ostream& err, ReaderOptions options)
    : files_(std::move(files)), err_(err), options_(options) {}

bool TraceReader::check_inputs() {
    bool ok = true;
    std::size_t stdin_uses = 0;
    for (const auto& f : files_) {
        if (f == "-") {
            ++stdin_uses;
            continue;
        }
        try {
            open_input(f);
        } catch (const InputError& e) {
            err_ << "eas-trace: " << f << ": " << e.what() << "\n";
            ok = false;
        }
    }
    if (stdin_uses > 1) {
        err_ << "eas-trace: '-' (standard input) can be given only once\n";
        ok = false;
    }
    return ok;
}

void TraceReader::report_bad(const std::string& file, std::size_t line, const std::string& why,
                             std::size_t& reported) {
    ++bad_lines_;
    if (options_.quiet_bad) return;
    if (reported < options_.max_reports_per_file) {
        err_ << shown(file) << ":" << line << ": " << why << " (line skipped)\n";
    } else if (reported == options_.max_reports_per_file) {
        err_ << shown(file) << ": more bad lines follow; only the first "
             << options_.max_reports_per_file << " are shown\n";
    }
    ++reported;
}

void TraceReader::read(const std::function<bool(const Record&)>& visit) {
    for (const auto& file : files_) {
        std::size_t reported = 0;
        std::size_t last_line = 0;
        try {
            auto source = open_input(file);
            LineReader lines(*source, options_.max_line);
            Line line;
            while (lines.next(line)) {
                last_line = line.number;
                if (line.too_long) {
                    report_bad(file, line.number,
                               "line longer than " + std::to_string(options_.max_line) + " bytes",
                               reported);
                    continue;
                }
                if (trim(line.text).empty()) continue;  // blank lines carry nothing
                auto parsed = parse_line(line.text);
                if (!parsed.error.empty()) {
                    if (line.unterminated) parsed.error += "; the file ends in this line";
                    report_bad(file, line.number, parsed.error, reported);
                    continue;
                }
                ++records_;
                Record r{&file, line.number, records_, line.text, &parsed.json, &parsed.summary};
                if (!visit(r)) return;
            }
        } catch (const InputError& e) {
            ++input_errors_;
            err_ << "eas-trace: " << shown(file);
            if (last_line > 0) err_ << ": after line " << last_line;
            err_ << ": " << e.what() << "\n";
        }
    }
}

int TraceReader::finish() {
    if (bad_lines_ > 0) {
        err_ << "eas-trace: " << bad_lines_ << (bad_lines_ == 1 ? " bad line" : " bad lines")
             << " skipped\n";
    }
    if (input_errors_ > 0) return kExitError;
    if (bad_lines_ > 0 && !options_.quiet_bad) return kExitBadLines;
    return kExitOk;
}

}  // namespace eas::trace
