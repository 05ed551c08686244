// eas-device: an Exchange ActiveSync device simulator for the demo and the integration tests.
// It runs a script of EAS commands against a server (or easproxy), printing one line per
// exchange, and follows (compliant) or ignores (legacy) HTTP 451 redirects, so the proxy's
// redirect policies can be shown and tested against both kinds of device. See README.md.
#include <csignal>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>

#include "asio.hpp"
#include "device.hpp"
#include "options.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "tls_context.hpp"

namespace {

using namespace eas;
using namespace eas::device;
namespace asio = net::asio;

void wait_for_signals(asio::signal_set& signals, StopState& stop, Device& device) {
    signals.async_wait([&signals, &stop, &device](const boost::system::error_code& ec, int number) {
        if (ec) return;  // cancelled: the run is over
        stop.requested = true;
        ++stop.signals;
        if (stop.signal_name.empty()) stop.signal_name = number == SIGINT ? "SIGINT" : "SIGTERM";
        device.on_signal();
        wait_for_signals(signals, stop, device);
    });
}

}  // namespace

int main(int argc, char** argv) {
    auto parsed = parse_options(argc, argv);
    if (!parsed.options) return parsed.exit_status;
    const Options& o = *parsed.options;

    // Built even for an http:// start URL: a 451 may send the device to https.
    net::ClientTlsOptions tls_options;
    tls_options.verify = !o.insecure;
    std::string error;
    for (const auto& file : o.ca_files) {
        std::ifstream in(file);
        if (!in.is_open()) {
            std::cerr << "eas-device: --ca " << file << ": cannot read\n";
            return kExitUsage;
        }
        std::stringstream pem;
        pem << in.rdbuf();
        tls_options.ca_pem += pem.str() + "\n";
    }
    auto tls = net::make_client_context(tls_options, error);
    if (!tls) {
        std::cerr << "eas-device: TLS setup: " << error << "\n";
        return kExitUsage;
    }

    asio::io_context io(1);
    Reporter report(o);
    StopState stop;
    Device device(io.get_executor(), o, tls.get(), report, stop);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    wait_for_signals(signals, stop, device);

    int exit_status = kExitUsage;
    asio::co_spawn(io, run_script(device, o, report, stop), [&](std::exception_ptr e, int status) {
        exit_status = status;
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                report.finish(kExitUsage, std::string("internal error: ") + ex.what());
            }
            exit_status = kExitUsage;
        }
        boost::system::error_code ignored;
        signals.cancel(ignored);
    });
    io.run();
    return exit_status;
}
