// `easproxy redirects list|clear [KEY] [--state FILE]`: the bindings a 451 made, from the state
// file a running or stopped easproxy keeps.
#pragma once

namespace eas::proxy {

// argv[1] is "redirects". Returns the exit code.
int run_redirects_command(int argc, char** argv);

}  // namespace eas::proxy
