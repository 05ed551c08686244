// Command line of eas-trace: subcommands list, show, stats, export, their filters and help.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "export_command.hpp"
#include "list_command.hpp"
#include "reader.hpp"
#include "show_command.hpp"
#include "stats.hpp"

namespace eas::trace {

struct Invocation {
    std::vector<std::string> files;
    ReaderOptions reader;
    std::variant<ListOptions, ShowOptions, StatsOptions, ExportOptions> command;
};

// The invocation, or the exit status when the program should stop now (0 after --help, 2 after
// a usage error, the message already printed).
struct ParsedCommandLine {
    std::optional<Invocation> invocation;
    int exit_status = 0;
};

ParsedCommandLine parse_command_line(int argc, char** argv);

}  // namespace eas::trace
