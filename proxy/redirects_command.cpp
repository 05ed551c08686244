#include "redirects_command.hpp"

#include <CLI/CLI.hpp>

#include <ctime>
#include <iostream>

#include "bindings.hpp"

namespace eas::proxy {

int run_redirects_command(int argc, char** argv) {
    CLI::App app{
        "List or clear the redirect bindings (user/device -> upstream) made by --on-451 follow or "
        "rewrite.\n"
        "A running easproxy keeps its own copy: restart it after a clear.",
        "easproxy redirects"};
    const char* home = std::getenv("HOME");
    std::string state =
        (home && *home ? std::string(home) + "/.easproxy" : std::string(".")) + "/redirects.json";
    std::string key;
    app.add_option("--state", state, "The state file easproxy keeps (its --state)")
        ->capture_default_str();
    auto* list = app.add_subcommand("list", "Show every binding and when it expires");
    auto* clear = app.add_subcommand("clear", "Forget one binding (KEY = user/DeviceId) or all");
    clear->add_option("KEY", key, "user/DeviceId as listed; all when omitted");
    app.require_subcommand(1);
    try {
        app.parse(argc - 1, argv + 1);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    std::string error;
    Bindings bindings(std::chrono::seconds(0), state, error);
    if (!error.empty()) {
        std::cerr << "easproxy redirects: " << error << "\n";
        return 2;
    }
    if (list->parsed()) {
        const auto entries = bindings.list();
        if (entries.empty()) std::cout << "no redirect bindings in " << state << "\n";
        for (const auto& e : entries) {
            const std::time_t t = Bindings::Clock::to_time_t(e.expires);
            std::tm tm{};
            gmtime_r(&t, &tm);
            char when[32];
            std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
            std::cout << e.key << " -> " << e.target.to_string() << e.target.path << "  (until "
                      << when << ")\n";
        }
        return 0;
    }
    const auto n = bindings.clear(key);
    if (!bindings.last_write_error().empty()) {
        std::cerr << "easproxy redirects: " << bindings.last_write_error() << "\n";
        return 2;
    }
    if (!key.empty() && n == 0) {
        std::cerr << "easproxy redirects: no binding " << key << " in " << state << "\n";
        return 1;
    }
    std::cout << "cleared " << n << " binding(s) in " << state << "\n";
    return 0;
}

}  // namespace eas::proxy
