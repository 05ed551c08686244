// eas-probe: a connectivity analyzer for Exchange ActiveSync accounts. It runs the steps a
// device goes through (Autodiscover, DNS, TCP, TLS, certificate, OPTIONS, Provision,
// FolderSync, Sync) and reports each as PASS, WARN or FAIL with its time and the reason in
// words; HTTP 451 redirects are followed with a warning. See README.md.
#include <csignal>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>

#include "asio.hpp"
#include "json_output.hpp"
#include "origin_checks.hpp"
#include "password.hpp"
#include "probe.hpp"
#include "probe_options.hpp"
#include "text_output.hpp"
#include "tls_context.hpp"

namespace {

using namespace eas;
using namespace eas::probe;
namespace asio = net::asio;

bool read_ca_files(const std::vector<std::string>& files, std::string& pem, std::string& error) {
    for (const auto& file : files) {
        std::ifstream in(file);
        std::stringstream text;
        if (in) text << in.rdbuf();
        if (!in || text.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
            error = "--ca " + file + ": no PEM certificate in it";
            return false;
        }
        pem += text.str() + "\n";
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    auto parsed = parse_options(argc, argv);
    if (!parsed.options) return parsed.exit_status;
    Options& o = *parsed.options;

    std::string error;
    const auto password = read_password("Password for " + o.identity.user + ": ", error);
    if (!password) {
        std::cerr << "eas-probe: " << error << "\n";
        return kExitFail;
    }
    o.identity.password = *password;

    std::string ca_pem;
    if (!read_ca_files(o.ca_files, ca_pem, error)) {
        std::cerr << "eas-probe: " << error << "\n";
        return kExitFail;
    }
    // Two contexts over the same trust store: the Certificate step verifies by hand (every
    // error collected), the requests verify as a device does unless --insecure.
    net::ClientTlsOptions check_options;
    check_options.ca_pem = ca_pem;
    net::ClientTlsOptions client_options = check_options;
    client_options.verify = !o.insecure;
    auto check_tls = net::make_client_context(check_options, error);
    auto client_tls = check_tls ? net::make_client_context(client_options, error) : nullptr;
    if (!check_tls || !client_tls) {
        std::cerr << "eas-probe: TLS setup: " << error << "\n";
        return kExitFail;
    }

    Report report;
    TextOutput text(std::cout, stdout_wants_colour());
    if (!o.json) {
        text.header(o);
        report.on_step = [&text](const Step& s) { text.step(s); };
    }

    asio::io_context io(1);
    Probe probe(io.get_executor(), o, *check_tls, *client_tls, report);
    asio::co_spawn(io, probe.run(), [&](std::exception_ptr e) {
        if (e) {
            Step s{"eas-probe", report.eas_url.empty() ? o.target : report.eas_url};
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                s.fail(std::string("internal error: ") + ex.what());
            }
            report.add(std::move(s));
        }
        // A DNS lookup that timed out may still be running on the resolver's thread: do not
        // wait for it.
        io.stop();
    });
    io.run();

    if (o.json) {
        write_json(std::cout, o, report);
    } else {
        text.footer(report);
    }
    if (lookup_abandoned()) {
        // The report is out; do not sit in the io_context's destructor until a hung DNS lookup
        // gives up on its own.
        std::cout.flush();
        std::_Exit(report.exit_status());
    }
    return report.exit_status();
}
