// `easproxy ca init|show|leaf`: the CA devices trust, managed from the command line.
#pragma once

namespace eas::proxy {

int run_ca_command(int argc, char** argv);

}  // namespace eas::proxy
