// cert-bench: how fast easproxy mints leaf certificates, the way regular mode does it (one
// signature by the CA over a shared leaf key) and, for comparison, with a fresh key per leaf.
// Prints certificates per second for RSA 2048 and ECDSA P-256 CAs.
//   cert-bench [--seconds S]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "mint.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Leaves per second over at least `seconds`, minting with `options`.
double rate(const eas::certs::KeyPair& ca, const eas::certs::MintOptions& options, double seconds) {
    const auto start = Clock::now();
    std::size_t n = 0;
    double elapsed = 0;
    do {
        const auto leaf =
            eas::certs::mint_leaf(ca, {"host" + std::to_string(n) + ".example"}, options);
        if (!leaf.pair) {
            std::fprintf(stderr, "cert-bench: %s\n", leaf.error.c_str());
            return 0;
        }
        ++n;
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds);
    return static_cast<double>(n) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Leaf certificates minted per second, as easproxy's regular mode mints them",
                 "cert-bench"};
    double seconds = 2;
    app.add_option("--seconds", seconds, "Time per measurement")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    std::printf("%-10s %-28s %12s\n", "CA key", "leaf", "certs/s");
    for (const auto type : {eas::certs::KeyType::Rsa2048, eas::certs::KeyType::EcdsaP256}) {
        eas::certs::MintOptions ca_options;
        ca_options.key_type = type;
        const auto ca = eas::certs::mint_ca("cert-bench CA", ca_options);
        if (!ca.pair) {
            std::fprintf(stderr, "cert-bench: %s\n", ca.error.c_str());
            return 1;
        }
        std::string error;
        eas::certs::MintOptions shared;
        shared.key_pem = eas::certs::make_private_key_pem(type, error);
        eas::certs::MintOptions fresh;
        fresh.key_type = type;
        const char* name = type == eas::certs::KeyType::Rsa2048 ? "RSA 2048" : "EC P-256";
        std::printf("%-10s %-28s %12.0f\n", name, "shared key (easproxy)",
                    rate(*ca.pair, shared, seconds));
        std::printf("%-10s %-28s %12.0f\n", name, "fresh key per leaf",
                    rate(*ca.pair, fresh, seconds));
    }
    return 0;
}
