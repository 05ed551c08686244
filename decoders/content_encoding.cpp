#include "content_encoding.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <new>

namespace eas {
namespace {

enum class Format { Gzip, Zlib, Raw };

// zlib counts in uInt (32 bits); bodies are fed in slices so a >4 GiB view cannot wrap it.
constexpr std::size_t kMaxFeed = std::size_t{1} << 30;
constexpr std::size_t kChunk = 32 * 1024;

std::string_view format_name(Format f) {
    switch (f) {
        case Format::Gzip:
            return "gzip";
        case Format::Zlib:
            return "zlib";
        case Format::Raw:
            return "raw deflate";
    }
    return "?";
}

int window_bits(Format f) {
    switch (f) {
        case Format::Gzip:
            return 16 + MAX_WBITS;
        case Format::Zlib:
            return MAX_WBITS;
        case Format::Raw:
            return -MAX_WBITS;
    }
    return MAX_WBITS;
}

std::string hex_bytes(std::string_view bytes, std::size_t max_count) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < max_count; ++i) {
        if (i != 0) out += ' ';
        const auto b = static_cast<unsigned char>(bytes[i]);
        out += digits[b >> 4];
        out += digits[b & 0x0F];
    }
    return out;
}

bool looks_like_gzip(std::string_view in) {
    return in.size() >= 2 && static_cast<unsigned char>(in[0]) == 0x1F &&
           static_cast<unsigned char>(in[1]) == 0x8B;
}

// RFC 1950 header: method 8 (deflate), window <= 32 KiB, check bits make CMF*256+FLG a multiple
// of 31. Common encoders never start raw deflate like that (it would take a non-final stored
// block with nonzero padding bits), but an odd one may, hence the retry in decode_deflate().
bool looks_like_zlib(std::string_view in) {
    if (in.size() < 2) return false;
    const auto cmf = static_cast<unsigned char>(in[0]);
    const auto flg = static_cast<unsigned char>(in[1]);
    return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

struct StreamResult {
    std::optional<DecodeError> error;
    std::size_t produced = 0;  // bytes appended to out by this stream
    unsigned members = 0;      // gzip members decoded completely
};

class Inflater {
  public:
    explicit Inflater(Format f) : format_(f) { ok_ = inflateInit2(&zs_, window_bits(f)) == Z_OK; }
    ~Inflater() {
        if (ok_) inflateEnd(&zs_);
    }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    // Appends the decoded bytes of `in` to out, never letting out grow past max_output.
    StreamResult run(std::string_view in, std::size_t max_output, std::string& out) {
        StreamResult r;
        const std::string_view name = format_name(format_);
        if (!ok_) {
            r.error = DecodeError{
                0, "could not start the " + std::string(name) + " decoder (out of memory)"};
            return r;
        }
        std::array<unsigned char, kChunk> buf{};
        std::size_t fed = 0;
        const auto consumed = [&] { return fed - zs_.avail_in; };
        const std::size_t start_size = out.size();
        for (;;) {
            if (zs_.avail_in == 0 && fed < in.size()) {
                const std::size_t n = std::min(in.size() - fed, kMaxFeed);
                // zlib's API takes a non-const pointer but never writes through next_in.
                zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + fed));
                zs_.avail_in = static_cast<uInt>(n);
                fed += n;
            }
            zs_.next_out = buf.data();
            zs_.avail_out = static_cast<uInt>(buf.size());
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            const std::size_t produced = buf.size() - zs_.avail_out;
            if (produced > max_output - out.size()) {
                out.append(reinterpret_cast<const char*>(buf.data()), max_output - out.size());
                r.produced = out.size() - start_size;
                r.error = DecodeError{consumed(), "inflated body exceeds the " +
                                                      std::to_string(max_output) +
                                                      "-byte limit (compressed input " +
                                                      std::to_string(in.size()) + " bytes)"};
                return r;
            }
            out.append(reinterpret_cast<const char*>(buf.data()), produced);
            r.produced = out.size() - start_size;

            switch (rc) {
                case Z_OK:
                    continue;
                case Z_STREAM_END: {
                    ++r.members;
                    const std::size_t at = consumed();
                    const std::string_view rest = in.substr(at);
                    if (rest.empty()) return r;
                    // RFC 1952: a gzip file is a series of members; a lone 1F at the end is a
                    // member cut short, which the next inflate() reports as truncation.
                    if (format_ == Format::Gzip && static_cast<unsigned char>(rest[0]) == 0x1F &&
                        (rest.size() == 1 || static_cast<unsigned char>(rest[1]) == 0x8B)) {
                        inflateReset(&zs_);
                        continue;
                    }
                    r.error = DecodeError{
                        at, std::to_string(rest.size()) +
                                " bytes of unexpected data after the end of the " +
                                std::string(name) + " stream at byte " + std::to_string(at) +
                                " (starting " + hex_bytes(rest, 8) + ")" +
                                (format_ == Format::Gzip ? ", and they are not another gzip member"
                                                         : "")};
                    return r;
                }
                case Z_BUF_ERROR:
                    // No progress was possible: with a fresh output buffer that means no input.
                    if (zs_.avail_in == 0 && fed < in.size()) continue;  // next slice
                    if (zs_.avail_in == 0) {
                        r.error = DecodeError{in.size(),
                                              std::string(name) +
                                                  " data ends early: the compressed stream is "
                                                  "incomplete after " +
                                                  std::to_string(in.size()) +
                                                  " bytes (body truncated or cut off in transit?)"};
                        return r;
                    }
                    // Input left yet no progress: never seen, but looping on it would hang.
                    r.error = DecodeError{consumed(), std::string(name) +
                                                          " decoder made no progress at byte " +
                                                          std::to_string(consumed())};
                    return r;
                case Z_NEED_DICT:
                    r.error = DecodeError{consumed(),
                                          "zlib stream asks for a preset dictionary, "
                                          "which HTTP content codings never use"};
                    return r;
                case Z_DATA_ERROR:
                    r.error = DecodeError{
                        consumed(), std::string(name) + " data is corrupt near compressed byte " +
                                        std::to_string(consumed()) + ": " +
                                        (zs_.msg != nullptr ? zs_.msg : "invalid data")};
                    return r;
                case Z_MEM_ERROR:
                    r.error = DecodeError{consumed(), std::string(name) +
                                                          " decoder ran out of memory at byte " +
                                                          std::to_string(consumed())};
                    return r;
                default:
                    r.error = DecodeError{
                        consumed(), std::string(name) + " decoder failed unexpectedly (zlib code " +
                                        std::to_string(rc) + ")"};
                    return r;
            }
        }
    }

  private:
    Format format_;
    z_stream zs_{};
    bool ok_ = false;
};

StreamResult run_format(Format f, std::string_view in, std::size_t max_output, std::string& out) {
    Inflater inflater(f);
    return inflater.run(in, max_output, out);
}

StreamResult decode_gzip(std::string_view in, std::size_t max_output, std::string& out,
                         std::vector<std::string>& notes) {
    if (!looks_like_gzip(in)) {
        // Mislabelled but recognisable: decoding it beats showing the engineer compressed bytes.
        if (looks_like_zlib(in)) {
            notes.push_back("body labelled gzip is zlib-wrapped deflate; decoded as such");
            return run_format(Format::Zlib, in, max_output, out);
        }
        StreamResult r;
        if (in.size() < 2 && (in.empty() || static_cast<unsigned char>(in[0]) == 0x1F)) {
            r.error =
                DecodeError{in.size(), "gzip data ends early: only " + std::to_string(in.size()) +
                                           " bytes, a gzip header needs at least 10"};
        } else {
            r.error =
                DecodeError{0, "not gzip data: a gzip body starts with 1F 8B, this one starts " +
                                   hex_bytes(in, 8) + " (body sent uncompressed?)"};
        }
        return r;
    }
    return run_format(Format::Gzip, in, max_output, out);
}

StreamResult decode_deflate(std::string_view in, std::size_t max_output, std::string& out,
                            std::vector<std::string>& notes) {
    if (looks_like_gzip(in)) {
        notes.push_back("body labelled deflate is gzip; decoded as gzip");
        return run_format(Format::Gzip, in, max_output, out);
    }
    const std::size_t start = out.size();
    if (looks_like_zlib(in)) {
        StreamResult z = run_format(Format::Zlib, in, max_output, out);
        if (!z.error || z.produced > 0) return z;
        // A raw stream whose first two bytes happen to form a zlib header fails at once.
        out.resize(start);
        StreamResult raw = run_format(Format::Raw, in, max_output, out);
        if (!raw.error) {
            notes.push_back(
                "body labelled deflate is raw deflate (no zlib wrapper); decoded as raw");
            return raw;
        }
        out.resize(start);
        return z;
    }
    StreamResult raw = run_format(Format::Raw, in, max_output, out);
    notes.push_back("body labelled deflate has no zlib header; decoded as raw deflate");
    if (raw.error && raw.produced == 0) {
        raw.error->reason = "deflate body is neither zlib-wrapped (it starts " + hex_bytes(in, 8) +
                            ") nor valid raw deflate: " + raw.error->reason;
    }
    return raw;
}

std::string lower_trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string deflate_with(std::string_view data, int level, int bits) {
    z_stream zs{};
    level = std::clamp(level, -1, 9);  // out-of-range levels are a caller slip, not worth a throw
    if (deflateInit2(&zs, level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::bad_alloc();
    }
    std::string out;
    std::array<unsigned char, kChunk> buf{};
    std::size_t fed = 0;
    int rc = Z_OK;
    do {
        if (zs.avail_in == 0 && fed < data.size()) {
            const std::size_t n = std::min(data.size() - fed, kMaxFeed);
            zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + fed));
            zs.avail_in = static_cast<uInt>(n);
            fed += n;
        }
        const int flush = (fed == data.size()) ? Z_FINISH : Z_NO_FLUSH;
        zs.next_out = buf.data();
        zs.avail_out = static_cast<uInt>(buf.size());
        rc = deflate(&zs, flush);
        out.append(reinterpret_cast<const char*>(buf.data()), buf.size() - zs.avail_out);
        if (rc == Z_STREAM_ERROR || rc == Z_MEM_ERROR) {
            deflateEnd(&zs);
            throw std::bad_alloc();
        }
    } while (rc != Z_STREAM_END);
    deflateEnd(&zs);
    return out;
}

}  // namespace

InflateResult inflate_body(std::string_view body, std::string_view content_encoding,
                           std::size_t max_output) {
    InflateResult result;

    // RFC 9110 list syntax: empty members are allowed and ignored.
    std::size_t pos = 0;
    while (pos <= content_encoding.size()) {
        std::size_t comma = content_encoding.find(',', pos);
        if (comma == std::string_view::npos) comma = content_encoding.size();
        std::string coding = lower_trim(content_encoding.substr(pos, comma - pos));
        pos = comma + 1;
        if (coding.empty() || coding == "identity") continue;
        if (coding != "gzip" && coding != "x-gzip" && coding != "deflate") {
            result.codings.push_back(coding);
            result.error = DecodeError{0, "unsupported content coding \"" + coding +
                                              "\" (only gzip, x-gzip, deflate and identity are "
                                              "decoded); body not decoded"};
            return result;
        }
        result.codings.push_back(std::move(coding));
    }

    if (result.codings.empty()) {
        if (body.size() > max_output) {
            result.body.assign(body.substr(0, max_output));
            result.error = DecodeError{
                max_output, "body exceeds the " + std::to_string(max_output) + "-byte limit (" +
                                std::to_string(body.size()) + " bytes, not compressed)"};
        } else {
            result.body.assign(body);
        }
        return result;
    }

    if (body.empty()) {
        result.notes.push_back("empty body despite Content-Encoding; nothing to decode");
        return result;
    }

    const std::size_t steps = result.codings.size();
    std::string input;  // output of the previous step; unused for the first step
    for (std::size_t step = 0; step < steps; ++step) {
        const std::string& coding = result.codings[steps - 1 - step];
        const std::string_view in = step == 0 ? body : std::string_view(input);
        std::string out;
        StreamResult r = coding == "deflate" ? decode_deflate(in, max_output, out, result.notes)
                                             : decode_gzip(in, max_output, out, result.notes);
        // Only the first failure is the cause; later steps fed a partial stream would just
        // report truncation again.
        if (r.error && !result.error) {
            if (steps > 1) {
                r.error->reason = "step " + std::to_string(step + 1) + " of " +
                                  std::to_string(steps) + " (" + coding + "): " + r.error->reason;
            }
            result.error = std::move(r.error);
        }
        if (r.members > 1) {
            result.notes.push_back("gzip body has " + std::to_string(r.members) +
                                   " concatenated members; all decoded");
        }
        input = std::move(out);
    }
    result.body = std::move(input);
    return result;
}

std::string gzip_compress(std::string_view data, int level) {
    return deflate_with(data, level, 16 + MAX_WBITS);
}

std::string deflate_compress(std::string_view data, int level) {
    return deflate_with(data, level, MAX_WBITS);
}

std::string raw_deflate_compress(std::string_view data, int level) {
    return deflate_with(data, level, -MAX_WBITS);
}

}  // namespace eas
