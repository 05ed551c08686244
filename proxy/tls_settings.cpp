#include "tls_settings.hpp"

#include <spdlog/spdlog.h>

#include "keylog.hpp"

namespace eas::proxy {
namespace {

bool versions_from(const std::string& side, const std::string& min, const std::string& max,
                   const std::string& ciphers, net::TlsVersions& out, spdlog::logger& log) {
    out.min_version = net::parse_tls_version(min);
    if (!out.min_version) {
        log.error("--{}-tls-min \"{}\": expected 1.0, 1.1, 1.2 or 1.3", side, min);
        return false;
    }
    if (!max.empty()) {
        out.max_version = net::parse_tls_version(max);
        if (!out.max_version || out.max_version < out.min_version) {
            log.error("--{}-tls-max \"{}\": expected 1.0-1.3, not below --{}-tls-min", side, max,
                      side);
            return false;
        }
    }
    out.ciphers = ciphers;
    return true;
}

}  // namespace

std::optional<TlsSettings> tls_settings(const Options& o, spdlog::logger& log) {
    TlsSettings s;
    if (!versions_from("device", o.device_tls_min, o.device_tls_max, o.device_ciphers, s.device,
                       log) ||
        !versions_from("upstream", o.upstream_tls_min, o.upstream_tls_max, o.upstream_ciphers,
                       s.upstream.versions, log)) {
        return std::nullopt;
    }
    if (s.device.min_version < TLS1_2_VERSION) {
        log.warn(
            "--device-tls-min {}: devices may connect with {} and weak ciphers (OpenSSL security "
            "level 0); use it only for legacy devices that know nothing newer",
            o.device_tls_min, net::tls_version_name(s.device.min_version));
    }
    if (s.upstream.versions.min_version < TLS1_2_VERSION) {
        log.warn("--upstream-tls-min {}: easproxy may talk {} to the CAS (security level 0)",
                 o.upstream_tls_min, net::tls_version_name(s.upstream.versions.min_version));
    }
    s.upstream.verify = !o.upstream_insecure;
    s.upstream.ca_file = o.upstream_ca;
    if (!o.upstream_client_cert.empty()) {
        net::ServerTlsOptions bundle;
        std::string error;
        if (!net::load_pem_bundle(o.upstream_client_cert, bundle, error)) {
            log.error("--upstream-client-cert {}", error);
            return std::nullopt;
        }
        s.upstream.cert_chain_pem = bundle.cert_chain_pem;
        s.upstream.key_pem = bundle.key_pem;
    }
    if (o.upstream_insecure) {
        log.warn(
            "--upstream-insecure: upstream certificates are NOT verified; anyone in the path can "
            "read the traffic easproxy forwards");
    }
    if (!o.keylog.empty()) {
        std::string error;
        if (!net::open_keylog(o.keylog, error)) {
            log.error("--keylog {}", error);
            return std::nullopt;
        }
        log.warn(
            "--keylog {}: TLS secrets of both sides are written there; whoever reads it can "
            "decrypt the traffic",
            o.keylog);
    }
    return s;
}

}  // namespace eas::proxy
