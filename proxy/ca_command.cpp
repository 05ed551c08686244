#include "ca_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "ca_store.hpp"
#include "cert_info.hpp"

namespace eas::proxy {
namespace {

void print_info(const certs::CertInfo& info, const std::string& path) {
    std::cout << "certificate  " << path << "\n"
              << "subject      " << info.subject << "\n"
              << "issuer       " << info.issuer << "\n"
              << "valid from   " << info.not_before << "\n"
              << "valid until  " << info.not_after << "\n"
              << "key          " << info.key << "\n"
              << "serial       " << info.serial << "\n"
              << "SHA-256      " << info.sha256 << "\n"
              << "SHA-1        " << info.sha1 << "\n";
    if (!info.names.empty()) {
        std::cout << "names       ";
        for (const auto& n : info.names) std::cout << " " << n;
        std::cout << "\n";
    }
}

int fail(const std::string& message) {
    std::cerr << "easproxy ca: " << message << "\n";
    return 2;
}

}  // namespace

int run_ca_command(int argc, char** argv) {
    CLI::App app{
        "Manage the CA whose certificates easproxy shows devices: regular mode mints a leaf per "
        "host from it, and `leaf` makes the --cert file for reverse mode.\n"
        "Devices install DIR/ca-cert.pem (or fetch it from http://easproxy.cert/ through the "
        "proxy, or from the --web page).",
        "easproxy ca"};
    const char* home = std::getenv("HOME");
    std::string dir = home && *home ? std::string(home) + "/.easproxy" : "easproxy-ca";
    app.add_option("--ca-dir", dir, "CA directory")->capture_default_str();

    auto* init = app.add_subcommand("init", "Create the CA (key file mode 0600)");
    std::string key_type = "rsa";
    bool force = false;
    init->add_option("--key-type", key_type,
                     "rsa (RSA 2048: every device, legacy ones included) or ecdsa (P-256)")
        ->check(CLI::IsMember({"rsa", "ecdsa"}))
        ->capture_default_str();
    init->add_flag("--force", force,
                   "Replace an existing CA (devices that trust the old one must install the new)");

    auto* show = app.add_subcommand("show", "Print the CA's subject, validity and fingerprints");

    auto* leaf = app.add_subcommand(
        "leaf", "Mint a certificate for reverse mode (--cert) signed by the CA, valid one year");
    std::vector<std::string> names;
    std::string out;
    leaf->add_option("NAME", names, "Host names or addresses devices use (the first is the CN)")
        ->required();
    leaf->add_option("--out", out, "PEM file to write (certificate, CA, key; mode 0600)")
        ->required();
    bool client = false;
    leaf->add_flag("--client", client,
                   "A client certificate instead (for --upstream-client-cert, when the CAS asks "
                   "for one)");
    app.require_subcommand(1);
    try {
        app.parse(argc - 1, argv + 1);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    const certs::CaPaths paths(dir);
    std::string error;
    if (init->parsed()) {
        const auto type = key_type == "ecdsa" ? certs::KeyType::EcdsaP256 : certs::KeyType::Rsa2048;
        auto ca = certs::create_ca(paths, type, force, error);
        if (!ca) return fail(error);
        const auto info = certs::describe_cert(ca->cert_pem, error);
        std::cout << "created the CA in " << dir << " (key " << paths.key() << ", mode 0600)\n";
        if (info) print_info(*info, paths.cert());
        return 0;
    }
    if (!certs::ca_exists(paths))
        return fail("no CA in " + dir + " (easproxy ca init creates one)");
    auto ca = certs::load_ca(paths, error);
    if (!ca) return fail(error);
    if (show->parsed()) {
        const auto info = certs::describe_cert(ca->cert_pem, error);
        if (!info) return fail(paths.cert() + ": " + error);
        print_info(*info, paths.cert());
        return 0;
    }
    // leaf: its own key (a reverse-mode certificate lives on its own, outside the CA dir).
    certs::MintOptions options;
    options.key_type = certs::key_type_of(ca->key_pem);
    if (client) options.usage = certs::MintOptions::Usage::Client;
    auto minted = certs::mint_leaf(*ca, names, options);
    if (!minted.pair) return fail(minted.error);
    if (!certs::write_private_file(out, minted.pair->cert_pem + ca->cert_pem + minted.pair->key_pem,
                                   error)) {
        return fail(error);
    }
    const auto info = certs::describe_cert(minted.pair->cert_pem, error);
    std::cout << "wrote " << out << " (certificate, CA, key; mode 0600): use it with "
              << (client ? "--upstream-client-cert" : "--cert") << "\n";
    if (info) print_info(*info, out);
    return 0;
}

}  // namespace eas::proxy
