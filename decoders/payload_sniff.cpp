#include "payload_sniff.hpp"

#include <algorithm>
#include <optional>

#include "charset.hpp"
#include "lzfu.hpp"

namespace eas {
namespace {

constexpr std::size_t npos = std::string_view::npos;
constexpr std::size_t kMaxJpegSegments = 256;
constexpr std::size_t kMaxDerDepth = 32;
constexpr std::size_t kDerStepBudget = 20000;
constexpr std::size_t kMaxCountedCertificates = 1000;
constexpr std::size_t kTextProbeBytes = 8192;

unsigned byte_at(std::string_view s, std::size_t i) {
    return static_cast<unsigned char>(s[i]);
}

std::uint32_t be16(std::string_view s, std::size_t i) {
    return byte_at(s, i) << 8 | byte_at(s, i + 1);
}
std::uint32_t le16(std::string_view s, std::size_t i) {
    return byte_at(s, i) | byte_at(s, i + 1) << 8;
}
std::uint32_t le24(std::string_view s, std::size_t i) {
    return le16(s, i) | byte_at(s, i + 2) << 16;
}
std::uint32_t le32(std::string_view s, std::size_t i) {
    return le24(s, i) | static_cast<std::uint32_t>(byte_at(s, i + 3)) << 24;
}
std::uint32_t be32(std::string_view s, std::size_t i) {
    return be16(s, i) << 16 | be16(s, i + 2);
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

std::string bytes_text(std::uint64_t n) {
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

// ---- images ------------------------------------------------------------------------------

bool jpeg_size(std::string_view s, PayloadInfo& info) {
    std::size_t pos = 2;
    for (std::size_t seg = 0; seg < kMaxJpegSegments; ++seg) {
        if (pos >= s.size() || byte_at(s, pos) != 0xFF) return false;
        while (pos < s.size() && byte_at(s, pos) == 0xFF) ++pos;  // fill bytes
        if (pos >= s.size()) return false;
        const unsigned marker = byte_at(s, pos++);
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
        if (marker == 0xD9 || marker == 0xDA) return false;  // EOI, or SOS before any SOF
        if (pos + 2 > s.size()) return false;
        const std::uint32_t len = be16(s, pos);
        if (len < 2) return false;
        const bool sof =
            marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            if (len < 7 || pos + 7 > s.size()) return false;
            info.height = be16(s, pos + 3);
            info.width = be16(s, pos + 5);
            if (marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE) {
                info.detail = "progressive";
            }
            return true;
        }
        pos += len;
    }
    return false;
}

void webp_size(std::string_view s, PayloadInfo& info) {
    if (s.size() < 30) return;
    const std::string_view chunk = s.substr(12, 4);
    if (chunk == "VP8X") {
        info.width = le24(s, 24) + 1;
        info.height = le24(s, 27) + 1;
    } else if (chunk == "VP8L" && byte_at(s, 20) == 0x2F) {
        const std::uint32_t b = le32(s, 21);
        info.width = (b & 0x3FFF) + 1;
        info.height = ((b >> 14) & 0x3FFF) + 1;
    } else if (chunk == "VP8 " && byte_at(s, 23) == 0x9D && byte_at(s, 24) == 0x01 &&
               byte_at(s, 25) == 0x2A) {
        info.width = le16(s, 26) & 0x3FFF;
        info.height = le16(s, 28) & 0x3FFF;
    }
}

bool bmp_size(std::string_view s, PayloadInfo& info) {
    if (s.size() < 26 || !starts_with(s, "BM")) return false;
    const std::uint32_t dib = le32(s, 14);
    if (dib == 12) {
        info.width = le16(s, 18);
        info.height = le16(s, 20);
        return true;
    }
    if (dib != 40 && dib != 52 && dib != 56 && dib != 64 && dib != 108 && dib != 124) return false;
    const auto w = static_cast<std::int32_t>(le32(s, 18));
    const auto h = static_cast<std::int32_t>(le32(s, 22));
    if (w <= 0 || h == 0 || h == INT32_MIN) return false;
    info.width = static_cast<std::uint32_t>(w);
    info.height = static_cast<std::uint32_t>(h < 0 ? -h : h);  // negative: top-down rows
    return true;
}

// ---- DER ---------------------------------------------------------------------------------

struct Tlv {
    unsigned tag = 0;
    std::size_t start = 0;    // the tag byte
    std::size_t content = 0;  // first content byte
    std::size_t end = 0;      // one past the last content byte (definite lengths)
    bool indefinite = false;
};

// One element with a single-byte tag at `at`, inside [.., limit).
std::optional<Tlv> read_tlv(std::string_view s, std::size_t at, std::size_t limit) {
    if (at + 2 > limit) return std::nullopt;
    Tlv t;
    t.tag = byte_at(s, at);
    t.start = at;
    if ((t.tag & 0x1F) == 0x1F) return std::nullopt;  // multi-byte tag: not in what we read
    const unsigned first = byte_at(s, at + 1);
    std::size_t pos = at + 2;
    std::uint64_t len = 0;
    if (first < 0x80) {
        len = first;
    } else if (first == 0x80) {
        if ((t.tag & 0x20) == 0) return std::nullopt;  // only constructed values may be
        t.indefinite = true;
        t.content = pos;
        t.end = limit;
        return t;
    } else {
        const unsigned n = first & 0x7F;
        if (n > 4 || pos + n > limit) return std::nullopt;
        for (unsigned i = 0; i < n; ++i) len = len << 8 | byte_at(s, pos + i);
        pos += n;
    }
    if (len > limit - pos) return std::nullopt;
    t.content = pos;
    t.end = pos + static_cast<std::size_t>(len);
    return t;
}

// The offset just past the element at `at`, resolving indefinite lengths by walking the content
// to its end-of-contents marker. npos when malformed or over the depth or step budget.
std::size_t element_end(std::string_view s, std::size_t at, std::size_t limit, std::size_t depth,
                        std::size_t& budget) {
    if (budget == 0 || depth > kMaxDerDepth) return npos;
    --budget;
    const auto t = read_tlv(s, at, limit);
    if (!t) return npos;
    if (!t->indefinite) return t->end;
    std::size_t pos = t->content;
    while (pos + 2 <= limit) {
        if (byte_at(s, pos) == 0 && byte_at(s, pos + 1) == 0) return pos + 2;
        pos = element_end(s, pos, limit, depth + 1, budget);
        if (pos == npos) return npos;
    }
    return npos;
}

// The element after the one at `at` (npos if none or malformed).
std::size_t next_element(std::string_view s, std::size_t at, std::size_t limit,
                         std::size_t& budget) {
    const std::size_t e = element_end(s, at, limit, 0, budget);
    if (e == npos || e >= limit) return npos;
    if (e + 2 <= limit && byte_at(s, e) == 0 && byte_at(s, e + 1) == 0) return npos;  // EOC
    return e;
}

bool is_x509(std::string_view s, std::string& detail) {
    const auto outer = read_tlv(s, 0, s.size());
    if (!outer || outer->tag != 0x30 || outer->indefinite) return false;
    const auto tbs = read_tlv(s, outer->content, outer->end);
    if (!tbs || tbs->tag != 0x30 || tbs->indefinite) return false;
    const auto first = read_tlv(s, tbs->content, tbs->end);
    if (!first) return false;
    std::size_t serial_at = tbs->content;
    if (first->tag == 0xA0) {
        const auto version = read_tlv(s, first->content, first->end);
        if (!version || version->tag != 0x02 || version->end - version->content != 1) return false;
        detail = "v" + std::to_string(byte_at(s, version->content) + 1);
        serial_at = first->end;
    } else {
        detail = "v1";
    }
    const auto serial = read_tlv(s, serial_at, tbs->end);
    if (!serial || serial->tag != 0x02) return false;
    const auto tbs_sig = read_tlv(s, serial->end, tbs->end);
    if (!tbs_sig || tbs_sig->tag != 0x30) return false;
    const auto sig_alg = read_tlv(s, tbs->end, outer->end);
    if (!sig_alg || sig_alg->tag != 0x30 || sig_alg->indefinite) return false;
    const auto sig = read_tlv(s, sig_alg->end, outer->end);
    if (!sig || sig->tag != 0x03) return false;
    if (outer->end < s.size()) {
        detail += ", " + bytes_text(s.size() - outer->end) + " after the certificate";
    }
    return true;
}

// PKCS#7 / CMS ContentInfo: SEQUENCE { OID 1.2.840.113549.1.7.n, [0] EXPLICIT content }.
bool is_pkcs7(std::string_view s, std::string& detail) {
    static constexpr std::string_view kPkcs7Oid("\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x07", 10);
    const auto outer = read_tlv(s, 0, s.size());
    if (!outer || outer->tag != 0x30) return false;
    const std::size_t limit = outer->end;
    if (outer->content + kPkcs7Oid.size() + 1 > limit) return false;
    if (s.substr(outer->content, kPkcs7Oid.size()) != kPkcs7Oid) return false;
    const unsigned type = byte_at(s, outer->content + kPkcs7Oid.size());
    static constexpr std::string_view kTypes[] = {"data",          "signedData",
                                                  "envelopedData", "signedAndEnvelopedData",
                                                  "digestedData",  "encryptedData"};
    detail = type >= 1 && type <= 6 ? std::string(kTypes[type - 1])
                                    : "content type 1.2.840.113549.1.7." + std::to_string(type);
    if (type != 2) return true;

    // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
    //                           certificates [0] IMPLICIT OPTIONAL, crls [1] OPTIONAL, ... }
    std::size_t budget = kDerStepBudget;
    const std::size_t explicit0 = outer->content + kPkcs7Oid.size() + 1;
    const auto wrapper = read_tlv(s, explicit0, limit);
    if (!wrapper || wrapper->tag != 0xA0) return true;
    const auto signed_data = read_tlv(s, wrapper->content, wrapper->end);
    if (!signed_data || signed_data->tag != 0x30) return true;
    const std::size_t sd_limit = signed_data->end;
    std::size_t pos = signed_data->content;  // version
    for (int i = 0; i < 3 && pos != npos; ++i) pos = next_element(s, pos, sd_limit, budget);
    std::size_t certs = 0;
    if (pos != npos) {
        const auto set = read_tlv(s, pos, sd_limit);
        if (set && set->tag == 0xA0) {
            std::size_t c = set->content;
            const std::size_t set_limit = set->end;
            while (c < set_limit && certs < kMaxCountedCertificates) {
                if (c + 2 <= set_limit && byte_at(s, c) == 0 && byte_at(s, c + 1) == 0) break;
                const std::size_t e = element_end(s, c, set_limit, 0, budget);
                if (e == npos) break;
                ++certs;
                c = e;
            }
        }
    }
    detail += ", " + std::to_string(certs) + (certs == 1 ? " certificate" : " certificates");
    return true;
}

bool is_der_sequence(std::string_view s) {
    const auto outer = read_tlv(s, 0, s.size());
    return outer && outer->tag == 0x30 && !outer->indefinite && outer->end == s.size() &&
           outer->end > outer->content;
}

// ---- text --------------------------------------------------------------------------------

bool looks_like_text(std::string_view s) {
    std::string_view probe = s.substr(0, kTextProbeBytes);
    for (unsigned char c : probe) {
        if (c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f') return false;
        if (c == 0x7F) return false;
    }
    if (is_valid_utf8(probe)) return true;
    if (probe.size() == s.size()) return false;
    // The probe may have cut a multi-byte character.
    for (std::size_t cut = 1; cut <= 3 && cut < probe.size(); ++cut) {
        if (is_valid_utf8(probe.substr(0, probe.size() - cut))) return true;
    }
    return false;
}

std::string pem_label(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && i < 64 && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        ++i;
    s.remove_prefix(i);
    if (!starts_with(s, "-----BEGIN ")) return {};
    s.remove_prefix(11);
    const std::size_t close = s.substr(0, 80).find("-----");
    if (close == npos) return {};
    return std::string(s.substr(0, close));
}

void describe(PayloadInfo& info, std::string_view what) {
    std::string d(what);
    if (info.width != 0 || info.height != 0) {
        d += " " + std::to_string(info.width) + "x" + std::to_string(info.height);
    }
    info.description = d + ", " + bytes_text(info.size);
}

}  // namespace

std::string_view payload_kind_name(PayloadKind kind) {
    switch (kind) {
        case PayloadKind::Empty:
            return "empty";
        case PayloadKind::Jpeg:
            return "jpeg";
        case PayloadKind::Png:
            return "png";
        case PayloadKind::Gif:
            return "gif";
        case PayloadKind::Bmp:
            return "bmp";
        case PayloadKind::Webp:
            return "webp";
        case PayloadKind::Pdf:
            return "pdf";
        case PayloadKind::Zip:
            return "zip";
        case PayloadKind::Gzip:
            return "gzip";
        case PayloadKind::CompressedRtf:
            return "compressed-rtf";
        case PayloadKind::Rtf:
            return "rtf";
        case PayloadKind::X509Certificate:
            return "x509";
        case PayloadKind::Pkcs7:
            return "pkcs7";
        case PayloadKind::Der:
            return "der";
        case PayloadKind::Pem:
            return "pem";
        case PayloadKind::Text:
            return "text";
        case PayloadKind::Binary:
            return "binary";
    }
    return "binary";
}

PayloadInfo sniff_payload(std::string_view s) {
    PayloadInfo info;
    info.size = s.size();
    const auto set = [&](PayloadKind kind, std::string_view mime, std::string_view what) {
        info.kind = kind;
        info.mime_type = std::string(mime);
        describe(info, what);
        return info;
    };

    if (s.empty()) {
        info.description = "empty";
        return info;
    }
    if (s.size() >= 3 && starts_with(s, "\xFF\xD8\xFF")) {
        jpeg_size(s, info);
        return set(PayloadKind::Jpeg, "image/jpeg", "JPEG image");
    }
    if (starts_with(s, "\x89PNG\r\n\x1A\n")) {
        if (s.size() >= 24 && s.substr(12, 4) == "IHDR") {
            info.width = be32(s, 16);
            info.height = be32(s, 20);
        }
        return set(PayloadKind::Png, "image/png", "PNG image");
    }
    if (starts_with(s, "GIF87a") || starts_with(s, "GIF89a")) {
        if (s.size() >= 10) {
            info.width = le16(s, 6);
            info.height = le16(s, 8);
        }
        return set(PayloadKind::Gif, "image/gif", "GIF image");
    }
    if (s.size() >= 12 && starts_with(s, "RIFF") && s.substr(8, 4) == "WEBP") {
        webp_size(s, info);
        return set(PayloadKind::Webp, "image/webp", "WebP image");
    }
    if (starts_with(s, "%PDF-")) {
        std::size_t i = 5;
        while (i < s.size() && i < 12 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
        if (i > 5) info.detail = "version " + std::string(s.substr(5, i - 5));
        return set(PayloadKind::Pdf, "application/pdf",
                   i > 5 ? "PDF document (version " + std::string(s.substr(5, i - 5)) + ")"
                         : std::string("PDF document"));
    }
    if (starts_with(s, "PK\x03\x04") || starts_with(s, std::string_view("PK\x05\x06", 4))) {
        return set(PayloadKind::Zip, "application/zip", "ZIP archive");
    }
    if (starts_with(s, "\x1F\x8B\x08")) {
        return set(PayloadKind::Gzip, "application/gzip", "gzip data");
    }
    if (looks_like_compressed_rtf(s)) {
        const bool lzfu = le32(s, 8) == kLzfuCompressed;
        info.detail =
            std::string(lzfu ? "LZFu" : "MELA") + ", RAWSIZE " + std::to_string(le32(s, 4));
        return set(PayloadKind::CompressedRtf, "application/rtf",
                   lzfu ? "compressed RTF (LZFu, RAWSIZE " + std::to_string(le32(s, 4)) + ")"
                        : "uncompressed RTF (MELA)");
    }
    if (starts_with(s, "{\\rtf")) {
        return set(PayloadKind::Rtf, "application/rtf", "RTF text");
    }
    if (bmp_size(s, info)) {
        return set(PayloadKind::Bmp, "image/bmp", "BMP image");
    }
    if (byte_at(s, 0) == 0x30) {
        std::string detail;
        if (is_x509(s, detail)) {
            info.detail = detail;
            return set(PayloadKind::X509Certificate, "application/pkix-cert",
                       "X.509 certificate (DER)");
        }
        if (is_pkcs7(s, detail)) {
            info.detail = detail;
            const std::string what = "PKCS#7 " + detail.substr(0, detail.find(',')) + " (DER)";
            set(PayloadKind::Pkcs7, "application/pkcs7-mime", what);
            const std::size_t comma = detail.find(',');
            if (comma != npos) {  // "PKCS#7 signedData (DER), 2 certificates, 4567 bytes"
                info.description = what + detail.substr(comma) + ", " + bytes_text(info.size);
            }
            return info;
        }
        if (is_der_sequence(s)) {
            return set(PayloadKind::Der, "", "DER (ASN.1 SEQUENCE)");
        }
    }
    const std::string label = pem_label(s);
    if (!label.empty()) {
        info.detail = "PEM " + label;
        return set(PayloadKind::Pem,
                   label.find("CERTIFICATE") != npos ? "application/x-pem-file" : "",
                   "PEM " + label);
    }
    if (looks_like_text(s)) {
        return set(PayloadKind::Text, "text/plain", "text");
    }
    return set(PayloadKind::Binary, "application/octet-stream", "binary");
}

}  // namespace eas
