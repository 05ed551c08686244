#include "lzfu.hpp"

#include <algorithm>
#include <array>

#include "ascii.hpp"
#include "charset.hpp"

namespace eas {
namespace {

// MS-OXRTFCP 2.2.1: the dictionary's initial contents.
constexpr std::string_view kInitialDictionary =
    "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern "
    "\\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0"
    "\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";
static_assert(kInitialDictionary.size() == 207);

constexpr std::size_t kDictionarySize = 4096;
constexpr std::size_t kHeaderSize = 16;
constexpr std::size_t kMaxWarnings = 16;

constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto kCrcTable = make_crc_table();

std::uint32_t read_le32(std::string_view s, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3])) << 24;
}

std::string hex32(std::uint32_t v) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string s = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) s.push_back(digits[(v >> shift) & 0xF]);
    return s;
}

// The first problem becomes the error; later ones are kept as warnings.
void fail(LzfuResult& r, std::uint64_t offset, std::string reason) {
    if (!r.error) {
        r.error = DecodeError{offset, std::move(reason)};
    } else if (r.warnings.size() < kMaxWarnings) {
        r.warnings.push_back("also at byte " + std::to_string(offset) + ": " + reason);
    }
}

void warn(LzfuResult& r, std::string text) {
    if (r.warnings.size() < kMaxWarnings) r.warnings.push_back(std::move(text));
}

// Decodes the LZFu payload data[begin, end). Returns normally at the end reference, the end of
// the data, or an output limit.
void decompress_payload(LzfuResult& r, std::string_view data, std::size_t begin, std::size_t end,
                        std::size_t max_output, std::uint32_t raw_size) {
    std::array<char, kDictionarySize> dict{};
    std::copy(kInitialDictionary.begin(), kInitialDictionary.end(), dict.begin());
    std::size_t write = kInitialDictionary.size();

    // Each 17 payload bytes expand to at most 8 * 17 output bytes; never trust RAWSIZE alone.
    const std::size_t reserve = std::min<std::size_t>(
        {max_output, raw_size, (end - begin) / 17 * 136 + 136, std::size_t{1} << 20});
    r.rtf.reserve(reserve);

    std::string& out = r.rtf;
    // Returns false when the byte cannot be added (limit reached; error or warning recorded).
    const auto emit = [&](char c, std::size_t token_at) {
        if (out.size() >= raw_size) {
            warn(r, "data at byte " + std::to_string(token_at) + " continues past RAWSIZE (" +
                        std::to_string(raw_size) + " bytes); the rest is ignored");
            return false;
        }
        if (out.size() >= max_output) {
            fail(r, token_at,
                 "decompressed RTF exceeds the " + std::to_string(max_output) + "-byte limit");
            return false;
        }
        out.push_back(c);
        dict[write] = c;
        write = (write + 1) % kDictionarySize;
        return true;
    };

    std::size_t pos = begin;
    while (pos < end) {
        const auto control = static_cast<unsigned char>(data[pos++]);
        for (int bit = 0; bit < 8; ++bit) {
            if (pos >= end) {
                fail(r, pos, "compressed RTF ends without the end-of-stream reference");
                return;
            }
            const std::size_t token_at = pos;
            if ((control & (1u << bit)) == 0) {
                if (!emit(data[pos++], token_at)) return;
                continue;
            }
            if (pos + 2 > end) {
                fail(r, pos, "dictionary reference cut off by the end of the data");
                return;
            }
            const auto hi = static_cast<unsigned char>(data[pos]);
            const auto lo = static_cast<unsigned char>(data[pos + 1]);
            pos += 2;
            const std::size_t offset = static_cast<std::size_t>(hi) << 4 | (lo >> 4);
            const std::size_t length = (lo & 0x0Fu) + 2;
            if (offset == write) {  // end of stream
                if (pos < end) {
                    warn(r, std::to_string(end - pos) +
                                " byte(s) after the end reference at byte " +
                                std::to_string(token_at) + " ignored");
                }
                if (out.size() < raw_size) {
                    warn(r, "RAWSIZE says " + std::to_string(raw_size) + " bytes but " +
                                std::to_string(out.size()) + " were decoded");
                }
                return;
            }
            // Byte by byte: a reference may read bytes it is itself writing (MS-OXRTFCP 4.2).
            for (std::size_t k = 0; k < length; ++k) {
                if (!emit(dict[(offset + k) % kDictionarySize], token_at)) return;
            }
        }
    }
    fail(r, end, "compressed RTF ends without the end-of-stream reference");
}

}  // namespace

std::uint32_t rtf_crc32(std::string_view bytes, std::uint32_t crc) {
    for (unsigned char b : bytes) crc = kCrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
    return crc;
}

std::string_view lzfu_initial_dictionary() {
    return kInitialDictionary;
}

bool looks_like_compressed_rtf(std::string_view data) {
    if (data.size() < kHeaderSize) return false;
    const std::uint32_t type = read_le32(data, 8);
    if (type != kLzfuCompressed && type != kLzfuUncompressed) return false;
    const std::uint64_t comp_size = read_le32(data, 0);
    return comp_size >= 12 && comp_size + 4 <= data.size();
}

LzfuResult decompress_rtf(std::string_view data, std::size_t max_output) {
    LzfuResult r;
    if (data.size() < kHeaderSize) {
        fail(r, 0,
             "compressed RTF is " + std::to_string(data.size()) +
                 " bytes, too short for the 16-byte header");
        return r;
    }
    LzfuHeader h;
    h.comp_size = read_le32(data, 0);
    h.raw_size = read_le32(data, 4);
    h.comp_type = read_le32(data, 8);
    h.crc = read_le32(data, 12);
    r.header = h;

    if (h.comp_type != kLzfuCompressed && h.comp_type != kLzfuUncompressed) {
        fail(r, 8,
             "COMPTYPE " + hex32(h.comp_type) +
                 " is neither LZFu (0x75465A4C) nor MELA (0x414C454D)");
        return r;
    }
    r.compressed = h.comp_type == kLzfuCompressed;
    if (h.comp_size < 12) {
        fail(r, 0,
             "COMPSIZE " + std::to_string(h.comp_size) + " is under the 12 header bytes it counts");
        return r;
    }

    // The payload is what COMPSIZE covers, cut to what is there.
    const std::uint64_t declared_end = std::uint64_t{h.comp_size} + 4;
    std::size_t end = data.size();
    bool truncated = false;
    if (declared_end > data.size()) {
        truncated = true;
        fail(r, data.size(),
             "input ends at byte " + std::to_string(data.size()) + " but COMPSIZE " +
                 std::to_string(h.comp_size) + " says it runs to byte " +
                 std::to_string(declared_end) + " (truncated)");
    } else {
        end = static_cast<std::size_t>(declared_end);
        if (end < data.size()) {
            warn(r, std::to_string(data.size() - end) + " byte(s) after COMPSIZE ignored");
        }
    }
    const std::string_view payload = data.substr(kHeaderSize, end - kHeaderSize);

    if (!r.compressed) {
        if (h.crc != 0) warn(r, "MELA (uncompressed) header has CRC " + hex32(h.crc) + ", not 0");
        if (!truncated && h.raw_size != payload.size()) {
            warn(r, "RAWSIZE " + std::to_string(h.raw_size) + " differs from the " +
                        std::to_string(payload.size()) + " stored bytes");
        }
        if (payload.size() > max_output) {
            r.rtf.assign(payload.substr(0, max_output));
            fail(r, kHeaderSize + max_output,
                 "RTF exceeds the " + std::to_string(max_output) + "-byte limit");
        } else {
            r.rtf.assign(payload);
        }
        return r;
    }

    if (!truncated) {
        r.crc_checked = true;
        r.computed_crc = rtf_crc32(payload);
        if (r.computed_crc != h.crc) {
            fail(r, 12,
                 "CRC mismatch: header says " + hex32(h.crc) + ", payload has " +
                     hex32(r.computed_crc));
        }
    }
    decompress_payload(r, data, kHeaderSize, end, max_output, h.raw_size);
    return r;
}

// ---------------------------------------------------------------------------------------------
// RTF to plain text

namespace {

constexpr std::size_t kMaxGroupDepth = 256;

// Destinations whose content is not body text.
constexpr std::string_view kSkippedDestinations[] = {
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "objdata",
    "header",
    "headerl",
    "headerr",
    "headerf",
    "footer",
    "footerl",
    "footerr",
    "footerf",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "themedata",
    "colorschememapping",
    "datastore",
    "latentstyles",
    "xmlnstbl",
    "mmathPr",
    "fldinst",
    "filetbl",
    "revtbl",
    "pgdsctbl",
    "xe",
    "tc",
    "footnote",
    "annotation",
    "atnid",
    "atnauthor",
    "bkmkstart",
    "bkmkend",
    "wgrffmtfilter",
    "panose",
    "falt",
    "nonshppict",
    "blipuid",
    "template",
    "userprops",
    "docvar",
};

bool is_skipped_destination(std::string_view word) {
    for (std::string_view d : kSkippedDestinations) {
        if (d == word) return true;
    }
    return false;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

class RtfTextExtractor {
  public:
    RtfTextExtractor(std::string_view rtf, std::size_t max_output) : in_(rtf), max_(max_output) {}

    RtfText run() {
        stack_.push_back(Group{});
        while (pos_ < in_.size() && !out_.truncated) {
            const char c = in_[pos_];
            if (c == '{') {
                ++pos_;
                open_group();
            } else if (c == '}') {
                ++pos_;
                close_group();
            } else if (c == '\\') {
                ++pos_;
                control();
            } else if (c == '\r' || c == '\n') {
                ++pos_;
            } else {
                ++pos_;
                byte_char(static_cast<unsigned char>(c));
            }
        }
        flush_surrogate();
        return std::move(out_);
    }

  private:
    struct Group {
        bool skip = false;
        int uc = 1;  // \ucN: fallback characters after \uN
    };

    std::string_view in_;
    std::size_t max_;
    std::size_t pos_ = 0;
    std::vector<Group> stack_;
    std::size_t overflow_ = 0;      // groups opened past kMaxGroupDepth (content dropped)
    std::size_t pending_skip_ = 0;  // fallback characters still to drop after \uN
    char32_t high_surrogate_ = 0;
    bool cp1252_ = true;
    bool group_start_ = false;  // just after '{': \* or a destination word may follow
    RtfText out_;

    bool skipping() const { return overflow_ > 0 || stack_.back().skip; }

    void open_group() {
        if (overflow_ > 0 || stack_.size() >= kMaxGroupDepth) {
            ++overflow_;
            return;
        }
        stack_.push_back(stack_.back());
        group_start_ = true;
    }

    void close_group() {
        group_start_ = false;
        pending_skip_ = 0;
        if (overflow_ > 0) {
            --overflow_;
            return;
        }
        if (stack_.size() > 1) stack_.pop_back();  // a stray '}' at the top level is ignored
    }

    void emit_cp(char32_t cp) {
        if (skipping()) return;
        if (high_surrogate_ != 0) {
            const char32_t high = high_surrogate_;
            high_surrogate_ = 0;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                emit_cp(0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00));
                return;
            }
            emit_cp(0xFFFD);
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            high_surrogate_ = cp;
            return;
        }
        std::string bytes;
        append_utf8(bytes, cp);
        if (out_.text.size() + bytes.size() > max_) {
            out_.truncated = true;
            return;
        }
        out_.text += bytes;
    }

    void flush_surrogate() {
        if (high_surrogate_ != 0) {
            high_surrogate_ = 0;
            emit_cp(0xFFFD);
        }
    }

    // One text character from the input (a literal byte or \'hh).
    void byte_char(unsigned char b) {
        group_start_ = false;
        if (pending_skip_ > 0) {
            --pending_skip_;
            return;
        }
        if (b < 0x80) {
            emit_cp(b);
        } else {
            emit_cp(cp1252_ ? cp1252_to_unicode(b) : char32_t{0xFFFD});
        }
    }

    void control() {
        if (pos_ >= in_.size()) return;
        const char c = in_[pos_];
        if (!is_letter(c)) {
            ++pos_;
            control_symbol(c);
            return;
        }
        const std::size_t start = pos_;
        while (pos_ < in_.size() && is_letter(in_[pos_]) && pos_ - start < 32) ++pos_;
        const std::string_view word = in_.substr(start, pos_ - start);
        bool has_param = false;
        long param = 0;
        bool negative = false;
        if (pos_ < in_.size() && in_[pos_] == '-' && pos_ + 1 < in_.size() &&
            in_[pos_ + 1] >= '0' && in_[pos_ + 1] <= '9') {
            negative = true;
            ++pos_;
        }
        std::size_t digits = 0;
        while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') {
            if (digits < 10) param = param * 10 + (in_[pos_] - '0');
            ++digits;
            ++pos_;
        }
        has_param = digits > 0;
        if (negative) param = -param;
        if (pos_ < in_.size() && in_[pos_] == ' ') ++pos_;  // the delimiting space
        control_word(word, has_param, param);
    }

    void control_symbol(char c) {
        switch (c) {
            case '\'': {
                if (pos_ + 2 <= in_.size()) {
                    const int h = hex_digit(in_[pos_]);
                    const int l = hex_digit(in_[pos_ + 1]);
                    if (h >= 0 && l >= 0) {
                        pos_ += 2;
                        byte_char(static_cast<unsigned char>(h << 4 | l));
                        return;
                    }
                }
                group_start_ = false;
                return;
            }
            case '*':
                if (group_start_ && overflow_ == 0) stack_.back().skip = true;
                return;
            case '\\':
            case '{':
            case '}':
                byte_char(static_cast<unsigned char>(c));
                return;
            case '~':
                text_char(0x00A0);
                return;
            case '_':
                text_char(0x2011);
                return;
            case '-':
                group_start_ = false;
                return;  // optional hyphen
            case '\r':
            case '\n':
                text_char('\n');
                return;  // "\<newline>" is \par
            case '\t':
                text_char('\t');
                return;
            default:
                group_start_ = false;
                return;
        }
    }

    // A character produced by a control word or symbol: subject to \uN fallback skipping too.
    void text_char(char32_t cp) {
        group_start_ = false;
        if (pending_skip_ > 0) {
            --pending_skip_;
            return;
        }
        emit_cp(cp);
    }

    void control_word(std::string_view w, bool has_param, long param) {
        group_start_ = false;
        if (is_skipped_destination(w)) {
            if (overflow_ == 0) stack_.back().skip = true;
            return;
        }
        if (w == "bin") {
            // Binary data follows: skip exactly `param` bytes.
            const std::size_t n = has_param && param > 0 ? static_cast<std::size_t>(param) : 0;
            pos_ += std::min(n, in_.size() - pos_);
            return;
        }
        if (w == "u" && has_param) {
            long v = param;
            if (v < 0) v += 65536;
            if (v < 0 || v > 0xFFFF) v = 0xFFFD;
            if (pending_skip_ > 0) pending_skip_ = 0;
            emit_cp(static_cast<char32_t>(v));
            pending_skip_ = static_cast<std::size_t>(std::max(0, stack_.back().uc));
            return;
        }
        if (w == "uc" && has_param) {
            if (overflow_ == 0) stack_.back().uc = static_cast<int>(std::clamp(param, 0L, 16L));
            return;
        }
        if (w == "ansicpg" && has_param) {
            cp1252_ = param == 1252;
            return;
        }
        if (w == "fromhtml") {
            out_.from_html = true;
            return;
        }
        if (w == "fromtext") {
            out_.from_text = true;
            return;
        }
        if (w == "par" || w == "line" || w == "sect" || w == "page" || w == "row") {
            text_char('\n');
        } else if (w == "tab" || w == "cell") {
            text_char('\t');
        } else if (w == "emdash") {
            text_char(0x2014);
        } else if (w == "endash") {
            text_char(0x2013);
        } else if (w == "bullet") {
            text_char(0x2022);
        } else if (w == "lquote") {
            text_char(0x2018);
        } else if (w == "rquote") {
            text_char(0x2019);
        } else if (w == "ldblquote") {
            text_char(0x201C);
        } else if (w == "rdblquote") {
            text_char(0x201D);
        } else if (w == "emspace" || w == "enspace" || w == "qmspace") {
            text_char(' ');
        }
        // Every other word is formatting: ignored.
    }
};

}  // namespace

RtfText rtf_to_text(std::string_view rtf, std::size_t max_output) {
    return RtfTextExtractor(rtf, max_output).run();
}

}  // namespace eas
