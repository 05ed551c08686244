#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base64.hpp"
#include "payload_sniff.hpp"

using eas::PayloadKind;
using eas::sniff_payload;

namespace {

std::string bytes(std::initializer_list<unsigned> list) {
    std::string s;
    for (unsigned b : list) s.push_back(static_cast<char>(b));
    return s;
}

std::string be16(unsigned v) {
    return bytes({(v >> 8) & 0xFF, v & 0xFF});
}
std::string le16(unsigned v) {
    return bytes({v & 0xFF, (v >> 8) & 0xFF});
}
std::string be32(std::uint32_t v) {
    return be16(v >> 16) + be16(v & 0xFFFF);
}
std::string le32(std::uint32_t v) {
    return le16(v & 0xFFFF) + le16(v >> 16);
}

// A JPEG header as cameras and phones write it: SOI, APP0 (JFIF), APP1, DQT, SOFn, DHT, SOS.
std::string jpeg(unsigned width, unsigned height, unsigned sof = 0xC0) {
    std::string s = bytes({0xFF, 0xD8});
    s += bytes({0xFF, 0xE0}) + be16(16) + "JFIF" + std::string(1, '\0') +
         bytes({1, 1, 0, 0, 1, 0, 1, 0, 0});
    s += bytes({0xFF, 0xE1}) + be16(10) + "Exif" + std::string(4, '\xFF');  // FF bytes inside
    s += bytes({0xFF, 0xDB}) + be16(67) + std::string(65, '\x10');
    s += bytes({0xFF, 0xFF, 0xFF, sof}) + be16(17) + bytes({8}) + be16(height) + be16(width) +
         bytes({3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1});  // fill bytes before the marker
    s += bytes({0xFF, 0xC4}) + be16(4) + bytes({0, 0});
    s += bytes({0xFF, 0xDA}) + be16(8) + bytes({1, 1, 0, 0, 0x3F, 0}) + "entropy-coded";
    s += bytes({0xFF, 0xD9});
    return s;
}

std::string png(std::uint32_t width, std::uint32_t height) {
    return std::string("\x89PNG\r\n\x1A\n", 8) + be32(13) + "IHDR" + be32(width) + be32(height) +
           bytes({8, 6, 0, 0, 0}) + be32(0x12345678) + be32(0) + "IEND" + be32(0xAE426082);
}

// ---- DER, for PKCS#7 built around the real certificate below --------------------------------

std::string der(unsigned tag, std::string_view content) {
    std::string s(1, static_cast<char>(tag));
    const std::size_t n = content.size();
    if (n < 0x80) {
        s.push_back(static_cast<char>(n));
    } else if (n < 0x100) {
        s += bytes({0x81, static_cast<unsigned>(n)});
    } else {
        s += bytes({0x82, static_cast<unsigned>(n >> 8), static_cast<unsigned>(n & 0xFF)});
    }
    return s + std::string(content);
}

// BER indefinite length: content then end-of-contents.
std::string ber(unsigned tag, std::string_view content) {
    return bytes({tag, 0x80}) + std::string(content) + bytes({0, 0});
}

const std::string kOidSignedData =
    bytes({0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02});
const std::string kOidData =
    bytes({0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01});

// A self-signed P-256 certificate made with
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj /CN=eas-sniff-test
std::string certificate() {
    return *eas::hex_decode(
        "308201863082012da003020102021478fcb29b74e9ea9762b62ce1bd053e"
        "423c26bd1a300a06082a8648ce3d04030230193117301506035504030c0e"
        "6561732d736e6966662d74657374301e170d323631313235313235363132"
        "5a170d3336313132323132353631325a30193117301506035504030c0e65"
        "61732d736e6966662d746573743059301306072a8648ce3d020106082a86"
        "48ce3d030107034200041daf2c1ba76676b3f320f983cfad9400a13f2275"
        "55e95e18039c688e5e753dc0bf8b9fa5ed67b4de004f4ef6f8c18f2c7192"
        "3ee799959ec85ad4d82ffbc81b7ea3533051301d0603551d0e04160414ac"
        "5d184ec3147904925d14ef74a240a3d3f57535301f0603551d2304183016"
        "8014ac5d184ec3147904925d14ef74a240a3d3f57535300f0603551d1301"
        "01ff040530030101ff300a06082a8648ce3d040302034700304402200519"
        "6b6fbe04aa3b244131a64c236d6050df6944a04c17d9a68605b53cb62eb6"
        "02200f926cfbb8a2aa5c4a466c3abea23ec65bc0a953922962b303225e89"
        "5d978a83");
}

// A certs-only SignedData, as `openssl crl2pkcs7 -nocrl -certfile` writes it (and as
// ValidateCert CertificateChain may carry).
std::string pkcs7_certs(std::size_t count) {
    std::string certs;
    for (std::size_t i = 0; i < count; ++i) certs += certificate();
    const std::string signed_data =
        der(0x30, bytes({0x02, 0x01, 0x01}) + der(0x31, "") + der(0x30, kOidData) +
                      der(0xA0, certs) + der(0x31, ""));
    return der(0x30, kOidSignedData + der(0xA0, signed_data));
}

std::vector<std::string> samples() {
    return {jpeg(640, 480), png(96, 96), pkcs7_certs(2), certificate(),
            "GIF89a" + le16(32) + le16(16) + std::string(20, '\0')};
}

}  // namespace

TEST_CASE("JPEG dimensions come from the SOF marker", "[sniff]") {
    auto j = sniff_payload(jpeg(640, 480));
    CHECK(j.kind == PayloadKind::Jpeg);
    CHECK(j.mime_type == "image/jpeg");
    CHECK(j.width == 640);
    CHECK(j.height == 480);
    CHECK(j.description ==
          "JPEG image 640x480, " + std::to_string(jpeg(640, 480).size()) + " bytes");

    auto p = sniff_payload(jpeg(1, 65535, 0xC2));
    CHECK(p.width == 1);
    CHECK(p.height == 65535);
    CHECK(p.detail == "progressive");

    // SOS before any SOF, a corrupt segment chain, a cut header: JPEG without dimensions.
    std::string no_sof = bytes({0xFF, 0xD8, 0xFF, 0xDA}) + be16(8) + "abcdef";
    auto n = sniff_payload(no_sof);
    CHECK(n.kind == PayloadKind::Jpeg);
    CHECK(n.width == 0);
    CHECK(n.description == "JPEG image, 12 bytes");
    const std::string full = jpeg(640, 480);
    for (std::size_t cut = 3; cut < full.size(); ++cut) {
        auto c = sniff_payload(std::string_view(full).substr(0, cut));
        CHECK(c.kind == PayloadKind::Jpeg);
        CHECK((c.width == 0 || c.width == 640));
    }
}

TEST_CASE("PNG, GIF, BMP and WebP sizes", "[sniff]") {
    auto p = sniff_payload(png(96, 72));
    CHECK(p.kind == PayloadKind::Png);
    CHECK(p.width == 96);
    CHECK(p.height == 72);
    CHECK(p.description.rfind("PNG image 96x72, ", 0) == 0);

    auto g = sniff_payload("GIF87a" + le16(300) + le16(200) + std::string(10, '\0'));
    CHECK(g.kind == PayloadKind::Gif);
    CHECK(g.width == 300);
    CHECK(g.height == 200);

    // BMP with a BITMAPINFOHEADER and a negative (top-down) height.
    auto b = sniff_payload("BM" + le32(70) + le32(0) + le32(54) + le32(40) + le32(48) +
                           le32(static_cast<std::uint32_t>(-24)) + std::string(20, '\0'));
    CHECK(b.kind == PayloadKind::Bmp);
    CHECK(b.width == 48);
    CHECK(b.height == 24);
    CHECK(sniff_payload("BM and some text that is not a bitmap").kind == PayloadKind::Text);

    auto w = sniff_payload("RIFF" + le32(30) + "WEBPVP8X" + le32(10) + bytes({0, 0, 0, 0}) +
                           bytes({0x3F, 0x01, 0x00, 0xEF, 0x00, 0x00}));
    CHECK(w.kind == PayloadKind::Webp);
    CHECK(w.width == 320);
    CHECK(w.height == 240);
}

TEST_CASE("certificates and PKCS#7 by structure", "[sniff]") {
    const std::string cert = certificate();
    auto c = sniff_payload(cert);
    CHECK(c.kind == PayloadKind::X509Certificate);
    CHECK(c.description == "X.509 certificate (DER), 394 bytes");
    CHECK(c.detail == "v3");
    CHECK(c.mime_type == "application/pkix-cert");

    // As it arrives in ResolveRecipients: base64 text, decoded by the caller.
    CHECK(sniff_payload(*eas::base64_decode(eas::base64_encode(cert))).kind ==
          PayloadKind::X509Certificate);

    auto p = sniff_payload(pkcs7_certs(2));
    CHECK(p.kind == PayloadKind::Pkcs7);
    CHECK(p.detail == "signedData, 2 certificates");
    CHECK(p.description == "PKCS#7 signedData (DER), 2 certificates, " +
                               std::to_string(pkcs7_certs(2).size()) + " bytes");
    CHECK(sniff_payload(pkcs7_certs(1)).detail == "signedData, 1 certificate");
    CHECK(sniff_payload(pkcs7_certs(0)).detail == "signedData, 0 certificates");

    // BER with indefinite lengths, as S/MIME libraries stream it.
    const std::string signed_data =
        ber(0x30, bytes({0x02, 0x01, 0x01}) + der(0x31, "") + ber(0x30, kOidData) +
                      ber(0xA0, certificate() + certificate() + certificate()) + der(0x31, ""));
    auto b = sniff_payload(ber(0x30, kOidSignedData + ber(0xA0, signed_data)));
    CHECK(b.kind == PayloadKind::Pkcs7);
    CHECK(b.detail == "signedData, 3 certificates");

    // envelopedData (an encrypted smime.p7m).
    const std::string enveloped =
        der(0x30, bytes({0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03}) +
                      der(0xA0, der(0x30, bytes({0x02, 0x01, 0x00}))));
    CHECK(sniff_payload(enveloped).detail == "envelopedData");

    // Other DER, PEM text.
    CHECK(sniff_payload(der(0x30, bytes({0x02, 0x01, 0x05}))).kind == PayloadKind::Der);
    auto pem = sniff_payload("-----BEGIN CERTIFICATE-----\n" + eas::base64_encode(cert) +
                             "\n-----END CERTIFICATE-----\n");
    CHECK(pem.kind == PayloadKind::Pem);
    CHECK(pem.detail == "PEM CERTIFICATE");

    // Corrupted certificates are not called certificates, and nothing breaks.
    for (std::size_t cut = 0; cut < cert.size(); ++cut) {
        auto t = sniff_payload(std::string_view(cert).substr(0, cut));
        CHECK(t.kind != PayloadKind::X509Certificate);
    }
    const std::string p7 = pkcs7_certs(2);
    for (std::size_t cut = 1; cut < p7.size(); cut += 7) {
        auto t = sniff_payload(std::string_view(p7).substr(0, cut));
        CHECK(t.kind != PayloadKind::X509Certificate);
    }
}

TEST_CASE("other formats, text and binary", "[sniff]") {
    CHECK(sniff_payload("").kind == PayloadKind::Empty);
    CHECK(sniff_payload("").description == "empty");
    CHECK(sniff_payload("%PDF-1.7\n...").description == "PDF document (version 1.7), 12 bytes");
    CHECK(sniff_payload("PK\x03\x04rest").kind == PayloadKind::Zip);
    CHECK(sniff_payload(bytes({0x1F, 0x8B, 0x08, 0, 0})).kind == PayloadKind::Gzip);
    CHECK(sniff_payload("{\\rtf1\\ansi hello}").kind == PayloadKind::Rtf);
    const std::string lzfu =
        bytes({0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1,
               0xc5, 0xc7, 0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32,
               0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62,
               0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0});
    auto r = sniff_payload(lzfu);
    CHECK(r.kind == PayloadKind::CompressedRtf);
    CHECK(r.description == "compressed RTF (LZFu, RAWSIZE 43), 49 bytes");
    CHECK(sniff_payload("Hello, world\r\n\xC3\xA4").kind == PayloadKind::Text);
    CHECK(sniff_payload("Hello, world\r\n\xC3\xA4").description == "text, 16 bytes");
    CHECK(sniff_payload("x").description == "text, 1 byte");
    auto bin = sniff_payload(bytes({0x00, 0x01, 0x02, 0xFF, 0xFE}));
    CHECK(bin.kind == PayloadKind::Binary);
    CHECK(bin.description == "binary, 5 bytes");
    CHECK(eas::payload_kind_name(PayloadKind::X509Certificate) == "x509");

    // Long text: only a prefix is examined, even when it cuts a multi-byte character.
    std::string long_text(8191, 'a');
    long_text += "\xC3\xA4 and more";
    CHECK(sniff_payload(long_text).kind == PayloadKind::Text);
}

TEST_CASE("garbage and hostile lengths are safe", "[sniff][hostile]") {
    const auto start = std::chrono::steady_clock::now();
    // DER headers that claim huge lengths, deep indefinite nesting, multi-byte tags.
    for (const std::string& s :
         {bytes({0x30}), bytes({0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF}),
          bytes({0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9}), bytes({0x30, 0x80}),
          bytes({0x30, 0x82, 0x00, 0x05, 0x30, 0x03, 0xA0, 0x01, 0x02}),
          bytes({0x30, 0x03, 0x1F, 0x81, 0x01}), bytes({0xFF, 0xD8, 0xFF}),
          bytes({0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x01}), std::string("\x89PNG\r\n\x1A\n", 8),
          std::string("GIF89a"), std::string("RIFF\0\0\0\0WEBPVP8L", 16)}) {
        auto info = sniff_payload(s);
        CHECK(info.size == s.size());
        CHECK_FALSE(info.description.empty());
    }
    std::string nest;
    for (int i = 0; i < 5000; ++i) nest += bytes({0x30, 0x80});
    auto d = sniff_payload(bytes({0x30, 0x80}) + kOidSignedData + bytes({0xA0, 0x80, 0x30, 0x80}) +
                           nest);
    CHECK(d.kind == PayloadKind::Pkcs7);

    // A JPEG made of nothing but fill bytes and empty segments.
    std::string fills = bytes({0xFF, 0xD8}) + std::string(1 << 20, '\xFF');
    CHECK(sniff_payload(fills).width == 0);
    std::string segs = bytes({0xFF, 0xD8});
    for (int i = 0; i < 100000; ++i) segs += bytes({0xFF, 0xE1, 0x00, 0x02});
    CHECK(sniff_payload(segs).width == 0);

    // Random bytes and single-byte mutations of real samples.
    std::mt19937 rng(77);
    for (int round = 0; round < 2000; ++round) {
        std::string s(static_cast<std::size_t>(rng() % 64), '\0');
        for (char& c : s) c = static_cast<char>(rng() & 0xFF);
        if (!s.empty() && round % 2 == 0) s[0] = '\x30';
        CHECK_FALSE(sniff_payload(s).description.empty());
    }
    for (const std::string& sample : samples()) {
        for (int round = 0; round < 300; ++round) {
            std::string s = sample;
            s[rng() % s.size()] = static_cast<char>(rng() & 0xFF);
            CHECK_FALSE(sniff_payload(s).description.empty());
        }
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}
