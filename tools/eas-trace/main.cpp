// eas-trace: reads easproxy's JSON Lines traces (plain, rotated, gzip, stdin) and lists,
// shows, summarises or exports (HAR 1.2) the flows in them. See README.md.
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
    using namespace eas::trace;
    std::ios::sync_with_stdio(false);
    auto parsed = parse_command_line(argc, argv);
    if (!parsed.invocation) return parsed.exit_status;
    auto& inv = *parsed.invocation;

    TraceReader reader(inv.files, std::cerr, inv.reader);
    if (!reader.check_inputs()) return kExitError;
    return std::visit(
        [&](auto& options) -> int {
            using T = std::decay_t<decltype(options)>;
            if constexpr (std::is_same_v<T, ListOptions>)
                return run_list(reader, options, std::cout);
            else if constexpr (std::is_same_v<T, ShowOptions>)
                return run_show(reader, options, std::cout, std::cerr);
            else if constexpr (std::is_same_v<T, StatsOptions>)
                return run_stats(reader, options, std::cout);
            else
                return run_export(reader, options, std::cout, std::cerr);
        },
        inv.command);
}
