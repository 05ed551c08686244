#include <cstring>

#include "ca_command.hpp"
#include "options.hpp"
#include "redirects_command.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "redirects") == 0)
        return eas::proxy::run_redirects_command(argc, argv);
    if (argc > 1 && std::strcmp(argv[1], "ca") == 0) return eas::proxy::run_ca_command(argc, argv);
    eas::proxy::Options options;
    if (auto exit_code = eas::proxy::parse_options(argc, argv, options)) return *exit_code;
    return eas::proxy::run_server(options);
}
