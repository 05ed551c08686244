// What is in a base64 element once decoded: contact and GAL pictures (Contacts:Picture,
// GAL:Data), certificates (ResolveRecipients Certificate / MiniCertificate, ValidateCert
// Certificate / CertificateChain), attachment bytes. Identified by magic numbers and a light
// structural check, with image dimensions read from the header.
//
// Sans-IO; never throws on bad input; reads a bounded number of bytes (headers, the first few
// DER elements, at most kMaxJpegSegments JPEG segments) whatever the input size. Certificate
// subjects are not extracted here (that is done with OpenSSL elsewhere).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eas {

enum class PayloadKind {
    Empty,
    Jpeg,
    Png,
    Gif,
    Bmp,
    Webp,
    Pdf,
    Zip,  // also docx/xlsx/pptx
    Gzip,
    CompressedRtf,  // MS-OXRTFCP (LZFu or MELA), AirSyncBase Body Type 3
    Rtf,
    X509Certificate,  // DER
    Pkcs7,            // DER (or BER with indefinite lengths): S/MIME, certificate chains
    Der,              // some other DER SEQUENCE that is well formed
    Pem,              // "-----BEGIN ...-----" text
    Text,             // printable UTF-8
    Binary,
};

std::string_view payload_kind_name(PayloadKind kind);  // "jpeg", "x509", "binary", ...

struct PayloadInfo {
    PayloadKind kind = PayloadKind::Empty;
    std::uint64_t size = 0;
    std::string mime_type;  // "image/jpeg", "application/pkix-cert", ... ("" if none fits)
    // Images whose header gives them (0 when unknown).
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    // Extra facts: "signedData, 2 certificates", "PEM CERTIFICATE", "version 1.4"...
    std::string detail;
    // One line: "JPEG image 96x96, 4213 bytes", "X.509 certificate (DER), 1234 bytes",
    // "binary, 16 bytes".
    std::string description;
};

PayloadInfo sniff_payload(std::string_view bytes);

}  // namespace eas
