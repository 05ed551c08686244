#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <iostream>

#include "redacted_record.hpp"

namespace eas::trace {
namespace {

constexpr const char* kFilesHelp =
    "trace files in order: plain, rotated (trace.jsonl.1) or gzip (recognised by content), "
    "'-' for standard input";

constexpr const char* kNumbering =
    "N is a flow's position in the input: the records of all FILEs given, in the order given, "
    "numbered from 1 (bad lines are skipped and not counted). Filters do not change it: "
    "`list --user alex` shows alex's flows with their N, and `show N` with the same FILEs "
    "shows one of them.";

constexpr const char* kExitStatus =
    "Exit status: 0 ok; 1 some lines were bad (each reported on stderr as FILE:LINE, and "
    "skipped); 2 usage error, unreadable input, or nothing to show.";

// Raw text of the filter options, checked after parsing.
struct FilterText {
    Filter filter;
    std::string since;
    std::string until;
};

void add_filters(CLI::App* sub, FilterText& f) {
    auto multi = [](CLI::Option* o) { return o->allow_extra_args(false); };
    multi(
        sub->add_option("--user", f.filter.users, "only flows of this user (repeat for several)"));
    multi(sub->add_option("--device", f.filter.devices, "only this DeviceId (repeatable)"));
    multi(sub->add_option("--device-type", f.filter.device_types,
                          "only this DeviceType, e.g. iPhone (repeatable)"));
    multi(sub->add_option("--cmd", f.filter.commands,
                          "only this command, e.g. FolderSync, or OPTIONS (repeatable)"));
    multi(sub->add_option("--status", f.filter.http_statuses,
                          "only this HTTP status as the device got it, e.g. 451 (repeatable; "
                          "502 answered by easproxy itself counts)"));
    multi(sub->add_option("--eas-status", f.filter.eas_statuses,
                          "only this EAS Status (first Status of the response body)"));
    sub->add_option("--since", f.since,
                    "only flows started at or after this time: ISO 8601, UTC unless a zone is "
                    "given (2026-11-25, 2026-11-25T12:18, 2026-11-25T14:18:27+02:00)");
    sub->add_option("--until", f.until,
                    "only flows started up to this time, the whole period given included "
                    "(--until 2026-11-25 includes that day)");
    sub->add_flag("--redirects", f.filter.redirects,
                  "only flows where an upstream answered 451 (passed on, followed, rewritten "
                  "or refused)");
    sub->add_flag("--errors", f.filter.errors, "only flows that failed (they have an error)");
}

void add_common(CLI::App* sub, std::vector<std::string>& files, ReaderOptions& reader) {
    sub->add_option("FILE", files, kFilesHelp)->required();
    sub->add_flag("--quiet-bad", reader.quiet_bad,
                  "do not report bad lines one by one (only their count) and do not fail for "
                  "them: for a trace still being written, whose last line may be half there");
}

bool positive_number(const std::string& text, std::size_t& out) {
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end && out > 0;
}

}  // namespace

ParsedCommandLine parse_command_line(int argc, char** argv) {
    ParsedCommandLine out;
    Invocation inv;

    CLI::App app{
        "eas-trace: reads easproxy traces (JSON Lines, one flow per line) and lists, shows, "
        "summarises or exports the flows. Several files (rotated ones too) read as one "
        "stream, gzip files are recognised by their content, '-' reads stdin. Bad lines are "
        "reported as FILE:LINE and skipped."};
    app.require_subcommand(1, 1);
    app.footer(std::string("Run eas-trace SUBCOMMAND --help for each. ") + kExitStatus);

    FilterText filter_text;
    ListOptions list;
    ShowOptions show;
    StatsOptions stats;
    ExportOptions exp;

    auto* list_cmd = app.add_subcommand(
        "list",
        "a table of flows: N, time, user, device, DeviceType, command, HTTP and EAS "
        "status, ms, bytes up/down, 451 decision and X-MS-Location host, errors");
    add_common(list_cmd, inv.files, inv.reader);
    add_filters(list_cmd, filter_text);
    list_cmd->add_flag("--json", list.json,
                       "the matching records as JSON Lines, unchanged (for jq)");
    list_cmd->footer(std::string(kNumbering) +
                     "\nHTTP 502* = answered by easproxy itself (no upstream answer). "
                     "USER of an OPTIONS without a query comes from its Authorization header.\n"
                     "Examples:\n"
                     "  eas-trace list trace.jsonl.1 trace.jsonl\n"
                     "  eas-trace list --status 451 --device-type WindowsMobile trace.jsonl\n"
                     "  eas-trace list --json --errors trace.jsonl.*.gz | jq .error\n" +
                     kExitStatus);

    std::vector<std::string> show_args;
    std::int64_t show_id = 0;
    auto* show_cmd = app.add_subcommand("show",
                                        "one flow in full: decoded request line, "
                                        "headers, bodies, status, timings, redirect, error");
    show_cmd->add_option("ARGS", show_args, "N FILE... (or FILE... with --id)")->required();
    auto* id_opt = show_cmd->add_option(
        "--id", show_id,
        "the flow whose \"id\" is ID instead of N (ids restart at 1 with each "
        "easproxy run: the first match is shown, and a warning names the others)");
    show_cmd->add_option("--file", show.file, "with --id: only records read from this FILE");
    show_cmd->add_flag("--raw", show.raw,
                       "hex dump of raw bodies (traces written with --trace-bodies raw or both)");
    show_cmd->add_flag("--quiet-bad", inv.reader.quiet_bad, "do not report bad lines one by one");
    std::string show_redact, show_redact_key;
    show_cmd
        ->add_option("--redact", show_redact,
                     "show the flow as an export at this level would: secrets, content, strict")
        ->check(CLI::IsMember({"secrets", "content", "strict"}));
    show_cmd->add_option("--redact-key", show_redact_key,
                         "passphrase keying hashes and pseudonyms (default: random)");
    show_cmd->footer(std::string(kNumbering) +
                     "\nExamples:\n"
                     "  eas-trace show 12 trace.jsonl\n"
                     "  eas-trace show --id 7 --file trace.jsonl.1 trace.jsonl.1 trace.jsonl\n" +
                     kExitStatus);

    auto* stats_cmd = app.add_subcommand(
        "stats",
        "per device (user / DeviceId / DeviceType) and per command: flows, errors, "
        "451s, latency p50/p90/p99/max (timings_ms.total), bytes; and totals");
    add_common(stats_cmd, inv.files, inv.reader);
    add_filters(stats_cmd, filter_text);
    stats_cmd->add_flag("--json", stats.json, "the same as one JSON object");
    stats_cmd->footer(
        std::string("Errors are flows with an error; 451 counts flows where an upstream "
                    "answered 451, whatever easproxy then did. Percentiles are nearest-rank, "
                    "exact up to 4096 flows per group and within 1% past that; memory does not "
                    "grow with the number of flows.\n") +
        kExitStatus);

    auto* export_cmd = app.add_subcommand(
        "export", "write the flows as a HAR 1.2 file for browser dev tools, Fiddler, Charles");
    add_common(export_cmd, inv.files, inv.reader);
    add_filters(export_cmd, filter_text);
    export_cmd->add_option("--har", exp.har_path, "the HAR file to write ('-' for stdout)")
        ->required();
    export_cmd->add_flag("--keep-secrets", exp.har.keep_secrets,
                         "keep credentials the trace holds (Authorization, cookies, Password "
                         "elements, raw bodies carrying them); by default they are redacted even "
                         "from a --trace-secrets trace");
    std::string export_redact = "secrets", export_redact_key;
    export_cmd
        ->add_option("--redact", export_redact,
                     "secrets (credentials), content (also user content, as length and keyed "
                     "hash), strict (also users, devices, addresses, pseudonymised): a strict "
                     "export can leave the building")
        ->check(CLI::IsMember({"secrets", "content", "strict"}))
        ->capture_default_str();
    export_cmd->add_option("--redact-key", export_redact_key,
                           "passphrase keying hashes and pseudonyms, for exports that must "
                           "correlate (default: random per export)");
    export_cmd->footer(
        std::string(
            "The URL is the upstream origin plus the request target. Bodies: the raw bytes when "
            "the trace has them (base64 when binary), else easproxy's decoded XML (mimeType "
            "text/xml, said in _note). Decoded EAS goes in custom fields: entry _eas (request "
            "line), _easStatus, _redirect, _error; postData/content _xml. The file is written "
            "to a temporary name and renamed when complete.\n"
            "Example:\n"
            "  eas-trace export --har alex.har --user alex trace.jsonl.1 trace.jsonl\n") +
        kExitStatus);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        out.exit_status = app.exit(e) == 0 ? 0 : kExitError;
        return out;
    }

    auto usage_error = [&out](const std::string& message) {
        std::cerr << "eas-trace: " << message << "\n";
        out.exit_status = kExitError;
        return out;
    };
    std::string error;
    if (!set_time_bounds(filter_text.filter, filter_text.since, filter_text.until, error))
        return usage_error(error);

    if (list_cmd->parsed()) {
        list.filter = filter_text.filter;
        inv.command = list;
    } else if (show_cmd->parsed()) {
        std::size_t first_file = 0;
        if (id_opt->count() > 0) {
            show.id = show_id;
        } else {
            std::size_t n = 0;
            if (!positive_number(show_args[0], n))
                return usage_error(
                    "show: N must be a flow number from 1 (the N column of list), "
                    "not '" +
                    show_args[0] + "'");
            show.number = n;
            first_file = 1;
        }
        if (!show.file.empty() && !show.id) return usage_error("show: --file goes with --id");
        inv.files.assign(show_args.begin() + static_cast<std::ptrdiff_t>(first_file),
                         show_args.end());
        if (inv.files.empty()) return usage_error("show: which trace FILE?");
        show.redactor = make_redactor(show_redact, show_redact_key);
        inv.command = show;
    } else if (stats_cmd->parsed()) {
        stats.filter = filter_text.filter;
        inv.command = stats;
    } else {
        exp.filter = filter_text.filter;
        exp.creator_version = EAS_TRACE_VERSION;
        if (exp.har.keep_secrets && export_redact != "secrets")
            return usage_error("export: --keep-secrets and --redact " + export_redact +
                               " contradict each other: pick one");
        // Level secrets is the HAR's own credential redaction; above it, easproxy's redactor.
        if (export_redact != "secrets")
            exp.redactor = make_redactor(export_redact, export_redact_key);
        inv.command = exp;
    }
    out.invocation = std::move(inv);
    return out;
}

}  // namespace eas::trace
