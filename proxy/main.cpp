#include "options.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
    eas::proxy::Options options;
    if (auto exit_code = eas::proxy::parse_options(argc, argv, options)) return *exit_code;
    return eas::proxy::run_server(options);
}
