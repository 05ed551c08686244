#include <catch2/catch.hpp>

#include <zlib.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "lzfu.hpp"

using eas::decompress_rtf;
using eas::rtf_crc32;
using eas::rtf_to_text;

namespace {

std::string bytes(std::initializer_list<unsigned> list) {
    std::string s;
    for (unsigned b : list) s.push_back(static_cast<char>(b));
    return s;
}

// MS-OXRTFCP 4.1.1 (Example 1: Simple Compressed RTF).
const std::string kExample1 =
    bytes({0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1,
           0xc5, 0xc7, 0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32,
           0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62,
           0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0});
const std::string kExample1Rtf = "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n";

// MS-OXRTFCP 4.2.1 (Example 2: Reading a Token from the Dictionary that Crosses WritePosition).
const std::string kExample2 = bytes({0x1a, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x4c, 0x5a,
                                     0x46, 0x75, 0xe2, 0xd4, 0x4b, 0x51, 0x41, 0x00, 0x04, 0x20,
                                     0x57, 0x58, 0x59, 0x5a, 0x0d, 0x6e, 0x7d, 0x01, 0x0e, 0xb0});
const std::string kExample2Rtf = "{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}";

std::string le32(std::uint32_t v) {
    std::string s;
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return s;
}

// A straightforward bitwise CRC, written from the spec's description (reflected polynomial
// 0xEDB88320, initial value 0, no final XOR), independent of the library's table.
std::uint32_t bitwise_crc(std::string_view data) {
    std::uint32_t crc = 0;
    for (unsigned char b : data) {
        crc ^= b;
        for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return crc;
}

// A simple, correct LZFu compressor for round trips: greedy longest match over the whole
// 4096-byte dictionary, matches allowed to run into the bytes they write themselves.
std::string compress_lzfu(std::string_view raw) {
    std::array<char, 4096> dict{};
    const std::string_view init = eas::lzfu_initial_dictionary();
    std::copy(init.begin(), init.end(), dict.begin());
    std::size_t write = init.size();

    std::string payload;
    std::size_t i = 0;
    bool done = false;
    while (!done) {
        unsigned control = 0;
        std::string run;
        for (int bit = 0; bit < 8; ++bit) {
            if (i >= raw.size()) {  // end marker: a reference to the write position
                control |= 1u << bit;
                run.push_back(static_cast<char>(write >> 4));
                run.push_back(static_cast<char>((write & 0x0F) << 4));
                done = true;
                break;
            }
            std::size_t best_len = 0;
            std::size_t best_off = 0;
            for (std::size_t off = 0; off < 4096; ++off) {
                if (off == write) continue;
                const std::size_t d = (write + 4096 - off) % 4096;  // bytes before write
                std::size_t len = 0;
                while (len < 17 && i + len < raw.size()) {
                    const char b = len < d ? dict[(off + len) % 4096] : raw[i + len - d];
                    if (b != raw[i + len]) break;
                    ++len;
                }
                if (len > best_len) {
                    best_len = len;
                    best_off = off;
                }
            }
            if (best_len >= 2) {
                control |= 1u << bit;
                const std::size_t token = best_off << 4 | (best_len - 2);
                run.push_back(static_cast<char>(token >> 8));
                run.push_back(static_cast<char>(token & 0xFF));
            } else {
                best_len = 1;
                run.push_back(raw[i]);
            }
            for (std::size_t k = 0; k < best_len; ++k) {
                dict[write] = raw[i + k];
                write = (write + 1) % 4096;
            }
            i += best_len;
        }
        payload.push_back(static_cast<char>(control));
        payload += run;
    }
    return le32(static_cast<std::uint32_t>(payload.size() + 12)) +
           le32(static_cast<std::uint32_t>(raw.size())) + le32(eas::kLzfuCompressed) +
           le32(rtf_crc32(payload)) + payload;
}

std::string mela(std::string_view raw) {
    return le32(static_cast<std::uint32_t>(raw.size() + 12)) +
           le32(static_cast<std::uint32_t>(raw.size())) + le32(eas::kLzfuUncompressed) + le32(0) +
           std::string(raw);
}

std::string sample_rtf(std::size_t approx) {
    std::string s =
        "{\\rtf1\\ansi\\ansicpg1252\\fromtext \\fbidis \\deff0{\\fonttbl\n{\\f0\\fswiss Arial;}"
        "\n{\\f1\\fmodern Courier "
        "New;}}\n{\\colortbl\\red0\\green0\\blue0;\\red0\\green0\\blue255;}"
        "\n\\uc1\\pard\\plain\\deftab360 \\f0\\fs20 ";
    int n = 0;
    while (s.size() < approx) {
        s +=
            "Line " + std::to_string(n++) + " of the message body, with some repeated text.\\par\n";
    }
    s += "}";
    return s;
}

}  // namespace

TEST_CASE("the spec's two worked examples decompress exactly", "[lzfu]") {
    auto r1 = decompress_rtf(kExample1);
    REQUIRE(r1.ok());
    CHECK(r1.compressed);
    CHECK(r1.crc_checked);
    CHECK(r1.computed_crc == 0xA7C7C5F1u);
    CHECK(r1.rtf == kExample1Rtf);
    CHECK(r1.warnings.empty());
    REQUIRE(r1.header);
    CHECK(r1.header->comp_size == 0x2D);
    CHECK(r1.header->raw_size == 0x2B);

    auto r2 = decompress_rtf(kExample2);
    REQUIRE(r2.ok());
    CHECK(r2.rtf == kExample2Rtf);
    CHECK(r2.computed_crc == 0x514BD4E2u);
    CHECK(r2.warnings.empty());
}

TEST_CASE("the CRC matches a bitwise CRC and zlib's CRC-32 with the inversions undone", "[lzfu]") {
    CHECK(rtf_crc32("") == 0);
    CHECK(rtf_crc32(kExample1.substr(16)) == bitwise_crc(kExample1.substr(16)));
    CHECK(bitwise_crc(kExample1.substr(16)) == 0xA7C7C5F1u);  // the header's CRC field
    CHECK(bitwise_crc(kExample2.substr(16)) == 0x514BD4E2u);

    std::mt19937 rng(7);
    for (int round = 0; round < 50; ++round) {
        std::string data(static_cast<std::size_t>(rng() % 300), '\0');
        for (char& c : data) c = static_cast<char>(rng() & 0xFF);
        CHECK(rtf_crc32(data) == bitwise_crc(data));
        // zlib computes ~F(~crc); the spec's variant is F(0) = ~zlib(0xFFFFFFFF).
        const auto z = static_cast<std::uint32_t>(crc32(0xFFFFFFFFul,
                                                        reinterpret_cast<const Bytef*>(data.data()),
                                                        static_cast<uInt>(data.size())));
        CHECK(rtf_crc32(data) == ~z);
        // Continuing over a split gives the same result.
        const std::size_t cut = data.size() / 2;
        CHECK(rtf_crc32(data.substr(cut), rtf_crc32(data.substr(0, cut))) == rtf_crc32(data));
    }
}

TEST_CASE("the test compressor reproduces the spec's bytes and round-trips", "[lzfu]") {
    // Greedy longest-first-match happens to be what the spec's examples use.
    CHECK(compress_lzfu(kExample1Rtf) == kExample1);
    CHECK(compress_lzfu(kExample2Rtf) == kExample2);

    std::mt19937 rng(42);
    std::vector<std::string> inputs = {
        "",
        "x",
        "{\\rtf1}",
        std::string(1000, 'A'),                       // long self-overlapping references
        sample_rtf(9000),                             // wraps the 4096-byte ring twice
        std::string(eas::lzfu_initial_dictionary()),  // one reference after another
    };
    std::string noise(3000, '\0');
    for (char& c : noise) c = static_cast<char>(rng() & 0xFF);  // mostly literals, NULs too
    inputs.push_back(noise);
    for (const std::string& raw : inputs) {
        const std::string packed = compress_lzfu(raw);
        auto r = decompress_rtf(packed);
        INFO("input of " << raw.size() << " bytes");
        REQUIRE(r.ok());
        CHECK(r.rtf == raw);
        CHECK(r.warnings.empty());
    }
    CHECK(compress_lzfu(std::string(1000, 'A')).size() < 150);
}

TEST_CASE("a CRC mismatch is reported at the CRC field, text still decoded", "[lzfu]") {
    std::string bad = kExample1;
    bad[12] = static_cast<char>(bad[12] ^ 0x01);  // header CRC changed
    auto r = decompress_rtf(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->offset == 12);
    CHECK(r.error->reason.find("CRC mismatch") != std::string::npos);
    CHECK(r.rtf == kExample1Rtf);

    std::string corrupt = kExample1;
    corrupt[22] = 'X';  // a literal in the payload: CRC no longer matches
    auto c = decompress_rtf(corrupt);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error->offset == 12);
    CHECK(c.computed_crc == bitwise_crc(corrupt.substr(16)));
    CHECK(c.rtf != kExample1Rtf);
}

TEST_CASE("MELA (uncompressed) bodies are returned as stored", "[lzfu]") {
    const std::string raw = "{\\rtf1\\ansi\\ansicpg1252\\pard test}";
    auto r = decompress_rtf(mela(raw));
    REQUIRE(r.ok());
    CHECK_FALSE(r.compressed);
    CHECK_FALSE(r.crc_checked);
    CHECK(r.rtf == raw);
    CHECK(r.warnings.empty());

    // Some writers put a CRC in MELA headers, or trailing bytes after COMPSIZE: warnings only.
    std::string odd = mela(raw) + "junk";
    odd[12] = 0x55;
    auto o = decompress_rtf(odd);
    REQUIRE(o.ok());
    CHECK(o.rtf == raw);
    CHECK(o.warnings.size() == 2);

    // The caller's limit applies to stored bodies too.
    auto l = decompress_rtf(mela(raw), 10);
    REQUIRE_FALSE(l.ok());
    CHECK(l.rtf == raw.substr(0, 10));
    CHECK(l.error->offset == 26);
}

TEST_CASE("header problems", "[lzfu]") {
    auto shortr = decompress_rtf("LZFu");
    REQUIRE_FALSE(shortr.ok());
    CHECK(shortr.error->offset == 0);
    CHECK_FALSE(shortr.header);

    std::string badtype = kExample1;
    badtype[8] = 'X';
    auto t = decompress_rtf(badtype);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error->offset == 8);
    CHECK(t.rtf.empty());

    std::string small = kExample1;
    small[0] = 5;  // COMPSIZE under the 12 bytes it must count
    auto s = decompress_rtf(small);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error->offset == 0);

    CHECK(eas::looks_like_compressed_rtf(kExample1));
    CHECK(eas::looks_like_compressed_rtf(mela("x")));
    CHECK_FALSE(eas::looks_like_compressed_rtf(kExample1.substr(0, 30)));
    CHECK_FALSE(eas::looks_like_compressed_rtf("{\\rtf1 hello world}"));
}

TEST_CASE("truncated input: partial text and an error, at every cut", "[lzfu]") {
    const std::string packed = compress_lzfu(sample_rtf(2000));
    for (std::size_t cut = 0; cut < packed.size(); ++cut) {
        auto r = decompress_rtf(std::string_view(packed).substr(0, cut));
        INFO("cut at " << cut);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error->offset <= cut);
        CHECK_FALSE(r.crc_checked);
        CHECK(r.rtf.size() <= 2100);
    }
    // Truncated with COMPSIZE and CRC adjusted to match: the stream just stops, without its end
    // reference (or in the middle of one).
    for (std::size_t len = 17; len < 300; ++len) {
        std::string cut = packed.substr(0, len);
        cut.replace(0, 4, le32(static_cast<std::uint32_t>(len - 4)));
        cut.replace(12, 4, le32(rtf_crc32(std::string_view(cut).substr(16))));
        auto r = decompress_rtf(cut);
        INFO("length " << len);
        REQUIRE_FALSE(r.ok());
        CHECK(r.crc_checked);
        CHECK(r.error->offset + 1 >= len);
        CHECK(r.error->offset <= len);
        CHECK(r.error->reason.find("end") != std::string::npos);
    }
}

TEST_CASE("output is bounded by RAWSIZE and by the caller's limit", "[lzfu]") {
    const std::string raw(5000, 'A');
    const std::string packed = compress_lzfu(raw);

    auto limited = decompress_rtf(packed, 1000);
    REQUIRE_FALSE(limited.ok());
    CHECK(limited.rtf.size() == 1000);
    CHECK(limited.error->reason.find("limit") != std::string::npos);

    // RAWSIZE smaller than the data: cut there with a warning.
    std::string lying = packed;
    lying.replace(4, 4, le32(100));
    auto l = decompress_rtf(lying);
    CHECK(l.ok());
    CHECK(l.rtf == raw.substr(0, 100));
    CHECK(l.warnings.size() == 1);

    // RAWSIZE larger than the data: warning only.
    std::string big = packed;
    big.replace(4, 4, le32(6000));
    auto b = decompress_rtf(big);
    CHECK(b.ok());
    CHECK(b.rtf == raw);
    CHECK(b.warnings.size() == 1);

    // A hostile RAWSIZE of 4 GiB reserves nothing like that.
    std::string huge = packed;
    huge.replace(4, 4, le32(0xFFFFFFFFu));
    auto h = decompress_rtf(huge, 64 * 1024);
    CHECK(h.rtf.capacity() < 1024 * 1024);
}

TEST_CASE("random payloads behind a valid header never misbehave", "[lzfu]") {
    std::mt19937 rng(1234);
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < 300; ++round) {
        std::string payload(static_cast<std::size_t>(rng() % 2000), '\0');
        for (char& c : payload) c = static_cast<char>(rng() & 0xFF);
        const std::string data = le32(static_cast<std::uint32_t>(payload.size() + 12)) +
                                 le32(static_cast<std::uint32_t>(rng())) +
                                 le32(eas::kLzfuCompressed) + le32(rtf_crc32(payload)) + payload;
        auto r = decompress_rtf(data, 4096);
        CHECK(r.rtf.size() <= 4096);
        // Every 17 bytes of payload give at most 136 bytes of output.
        CHECK(r.rtf.size() <= payload.size() / 17 * 136 + 136);
        if (!r.ok()) CHECK(r.error->offset <= data.size());
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("RTF to text for previews", "[lzfu][rtf]") {
    const auto text = [](std::string_view rtf) { return rtf_to_text(rtf).text; };

    CHECK(text(kExample1Rtf) == "hello world");
    CHECK(text(kExample2Rtf) == "WXYZWXYZWXYZWXYZWXYZ");

    // Font and colour tables, \* destinations, formatting words: gone. \par: newlines.
    auto t = rtf_to_text(sample_rtf(400));
    CHECK(t.from_text);
    CHECK_FALSE(t.from_html);
    INFO(t.text.substr(0, 120));
    CHECK(t.text.rfind("Line 0 of the message body, with some repeated text.\nLine 1 ", 0) == 0);
    CHECK(t.text.find("Arial") == std::string::npos);
    CHECK(t.text.find("Courier") == std::string::npos);

    // \'hh in Windows-1252, \uN with its fallback skipped, surrogate pairs, symbols.
    CHECK(text("{\\rtf1\\ansi\\ansicpg1252 caf\\'e9 \\'80 \\'93q\\'94}") ==
          "caf\xC3\xA9 \xE2\x82\xAC \xE2\x80\x9Cq\xE2\x80\x9D");
    CHECK(text("{\\rtf1\\uc1 \\u8364?5 \\u-10179?\\u-8704?}") ==
          "\xE2\x82\xAC"
          "5 \xF0\x9F\x98\x80");
    CHECK(text("{\\rtf1\\uc2 \\u26085\\'93\\'fa!}") == "\xE6\x97\xA5!");
    CHECK(text("{\\rtf1 a\\tab b\\line c\\~d\\{e\\}\\\\}") ==
          "a\tb\nc\xC2\xA0"
          "d{e}\\");
    CHECK(text("{\\rtf1 x{\\*\\unknowndest hidden}y{\\pict\\pngblip 89504e47}z}") == "xyz");
    CHECK(text("{\\rtf1 a\\bin4 {}\\}b}") == "ab");

    // Outlook's HTML-encapsulated RTF: the \*\htmltag groups hold the HTML, ignored here.
    auto h = rtf_to_text(
        "{\\rtf1\\ansi\\fbidis\\ansicpg1252\\deff0\\fromhtml1 {\\fonttbl{\\f0\\fswiss Arial;}}"
        "{\\*\\htmltag19 <html>}{\\*\\htmltag34 <body>}\\htmlrtf {\\htmlrtf0 Hello "
        "{\\*\\htmltag84 &nbsp;}\\htmlrtf \\'a0\\htmlrtf0 there\\htmlrtf }\\htmlrtf0 "
        "{\\*\\htmltag50 </body>}}");
    CHECK(h.from_html);
    CHECK(h.text == "Hello \xC2\xA0there");

    // Other ANSI code pages: bytes over 0x7F become U+FFFD rather than wrong letters.
    CHECK(text("{\\rtf1\\ansi\\ansicpg1251 \\'c0}") == "\xEF\xBF\xBD");
}

TEST_CASE("RTF to text is bounded on hostile input", "[lzfu][rtf]") {
    // Deep nesting: the first 256 levels are tracked, deeper content dropped, no recursion.
    std::string deep = "{\\rtf1 a";
    for (int i = 0; i < 100000; ++i) deep += "{";
    deep += "hidden";
    for (int i = 0; i < 100000; ++i) deep += "}";
    deep += "b}";
    CHECK(rtf_to_text(deep).text == "ab");

    // Output cap.
    std::string big = "{\\rtf1 ";
    for (int i = 0; i < 10000; ++i) big += "word \\par ";
    big += "}";
    auto r = rtf_to_text(big, 100);
    CHECK(r.truncated);
    CHECK(r.text.size() <= 100);

    // Garbage, unbalanced braces, cut escapes, huge \bin and parameters.
    for (std::string_view s :
         {"}}}}{", "\\", "{\\'", "{\\'4", "{\\u", "{\\u-", "\\bin999999999999 x",
          "{\\uc99999999999 \\u65 abc}", "\\ucx\\u-99999999999999", "{\\*}"}) {
        auto g = rtf_to_text(s);
        CHECK(g.text.size() < 16);
    }
    std::mt19937 rng(99);
    for (int round = 0; round < 200; ++round) {
        std::string s(static_cast<std::size_t>(rng() % 500), '\0');
        const std::string_view alphabet = "{}\\'*uc0123456789abfparbin -";
        for (char& c : s) c = alphabet[rng() % alphabet.size()];
        auto g = rtf_to_text(s, 300);
        CHECK(g.text.size() <= 300);
    }
}
