#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "content_encoding.hpp"

using eas::inflate_body;

namespace {

std::string sample_text() {
    std::string s;
    for (int i = 0; i < 200; ++i) {
        s += "<Sync><Collections><Collection><SyncKey>" + std::to_string(i) +
             "</SyncKey></Collection></Collections></Sync>\n";
    }
    return s;
}

std::string random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    return s;
}

// Streams `total` zero bytes through deflate without ever holding them: the bomb costs ~1 MB.
std::string gzip_of_zeros(std::uint64_t total) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::vector<unsigned char> zeros(1 << 20, 0);
    std::vector<unsigned char> buf(1 << 16);
    std::string out;
    std::uint64_t left = total;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (zs.avail_in == 0 && left > 0) {
            const auto n = static_cast<uInt>(std::min<std::uint64_t>(left, zeros.size()));
            zs.next_in = zeros.data();
            zs.avail_in = n;
            left -= n;
        }
        zs.next_out = buf.data();
        zs.avail_out = static_cast<uInt>(buf.size());
        rc = deflate(&zs, left == 0 ? Z_FINISH : Z_NO_FLUSH);
        REQUIRE(rc != Z_STREAM_ERROR);
        out.append(reinterpret_cast<const char*>(buf.data()), buf.size() - zs.avail_out);
    }
    deflateEnd(&zs);
    return out;
}

long max_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

}  // namespace

TEST_CASE("gzip, x-gzip and deflate round trip", "[content_encoding]") {
    const std::string text = sample_text();
    const std::string binary = random_bytes(100'000, 7);
    for (const std::string* data : {&text, &binary}) {
        for (int level : {0, 1, 6, 9}) {
            auto g = inflate_body(eas::gzip_compress(*data, level), "gzip", 1 << 20);
            CHECK(g.ok());
            CHECK(g.body == *data);
            CHECK(g.codings == std::vector<std::string>{"gzip"});
            CHECK(g.notes.empty());

            auto x = inflate_body(eas::gzip_compress(*data, level), "x-gzip", 1 << 20);
            CHECK(x.ok());
            CHECK(x.body == *data);

            auto d = inflate_body(eas::deflate_compress(*data, level), "deflate", 1 << 20);
            CHECK(d.ok());
            CHECK(d.body == *data);
            CHECK(d.notes.empty());
        }
    }
    CHECK(eas::gzip_compress(text) != eas::deflate_compress(text));
    CHECK(eas::gzip_compress(text).size() < text.size() / 4);
}

TEST_CASE("coding names are case-insensitive and tolerate list whitespace", "[content_encoding]") {
    const std::string text = sample_text();
    auto r = inflate_body(eas::gzip_compress(text), "  GZip\t", 1 << 20);
    CHECK(r.ok());
    CHECK(r.body == text);
    CHECK(r.codings == std::vector<std::string>{"gzip"});

    auto id = inflate_body(text, "identity", 1 << 20);
    CHECK(id.ok());
    CHECK(id.body == text);
    CHECK(id.codings.empty());

    auto none = inflate_body(text, "", 1 << 20);
    CHECK(none.ok());
    CHECK(none.body == text);

    auto listed = inflate_body(eas::gzip_compress(text), "identity, , gzip", 1 << 20);
    CHECK(listed.ok());
    CHECK(listed.body == text);
    CHECK(listed.codings == std::vector<std::string>{"gzip"});
}

TEST_CASE("a coding list is undone in reverse order", "[content_encoding]") {
    const std::string text = sample_text();
    // "deflate, gzip": deflate was applied first, gzip last.
    const std::string wire = eas::gzip_compress(eas::deflate_compress(text));
    auto r = inflate_body(wire, "deflate, gzip", 1 << 20);
    CHECK(r.ok());
    CHECK(r.body == text);
    CHECK(r.codings == std::vector<std::string>{"deflate", "gzip"});

    // Described the other way round, each step finds the other format and says so.
    auto swapped = inflate_body(wire, "gzip, deflate", 1 << 20);
    CHECK(swapped.ok());
    CHECK(swapped.body == text);
    CHECK(swapped.notes.size() == 2);

    // One layer too many: the last step gets plain text.
    auto extra = inflate_body(wire, "gzip, deflate, gzip", 1 << 20);
    REQUIRE_FALSE(extra.ok());
    CHECK(extra.error->reason.rfind("step 3 of 3 (gzip): not gzip data", 0) == 0);
    CHECK(extra.body.empty());
}

TEST_CASE("an error in a later step names the step", "[content_encoding]") {
    const std::string text = sample_text();
    std::string inner = eas::gzip_compress(text);
    inner[inner.size() / 2] = static_cast<char>(inner[inner.size() / 2] ^ 0x55);
    auto r = inflate_body(eas::gzip_compress(inner), "gzip, gzip", 1 << 20);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->reason.rfind("step 2 of 2 (gzip): ", 0) == 0);
    // Corrupt deflate data can decode to wrong bytes before zlib notices; only the CRC or a
    // structural error catches it, so no prefix property holds here.
    CHECK(r.body != text);
    CHECK(r.body.size() <= (1u << 20));
}

TEST_CASE("unsupported codings are refused without decoding", "[content_encoding]") {
    const std::string wire = eas::gzip_compress("hello");
    for (const char* coding : {"br", "gzip, br", "compress", "zstd"}) {
        auto r = inflate_body(wire, coding, 1 << 20);
        REQUIRE_FALSE(r.ok());
        CHECK(r.body.empty());
        CHECK(r.error->offset == 0);
        CHECK(r.error->reason.find("unsupported content coding") != std::string::npos);
    }
    auto br = inflate_body(wire, "br", 1 << 20);
    CHECK(br.error->reason.find("\"br\"") != std::string::npos);
}

TEST_CASE("gzip bomb stops at the bound quickly with bounded memory", "[content_encoding][bomb]") {
    const std::uint64_t one_gib = std::uint64_t{1} << 30;
    const std::string bomb = gzip_of_zeros(one_gib);
    REQUIRE(bomb.size() < 2'000'000);

    const std::size_t limit = 4 << 20;
    const long rss_before = max_rss_kib();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = inflate_body(bomb, "gzip", limit);
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    const long rss_after = max_rss_kib();

    REQUIRE_FALSE(r.ok());
    CHECK(r.body.size() == limit);
    CHECK(r.body.find_first_not_of('\0') == std::string::npos);
    CHECK(r.body.capacity() <= 2 * limit + 64 * 1024);
    CHECK(r.error->reason == "inflated body exceeds the 4194304-byte limit (compressed input " +
                                 std::to_string(bomb.size()) + " bytes)");
    // Stopped near the start of the compressed input: it did not inflate the whole gigabyte.
    CHECK(r.error->offset < bomb.size() / 10);
    CHECK(elapsed < std::chrono::seconds(5));
    // Inflating it all would have cost a gigabyte; allow for allocator and sanitizer slack.
    CHECK(rss_after - rss_before < 200 * 1024);
}

TEST_CASE("the bound is exact", "[content_encoding]") {
    const std::string data = random_bytes(10'000, 3);
    auto exact = inflate_body(eas::gzip_compress(data), "gzip", data.size());
    CHECK(exact.ok());
    CHECK(exact.body == data);

    auto over = inflate_body(eas::gzip_compress(data), "gzip", data.size() - 1);
    REQUIRE_FALSE(over.ok());
    CHECK(over.body == data.substr(0, data.size() - 1));

    auto zero = inflate_body(eas::deflate_compress(data), "deflate", 0);
    REQUIRE_FALSE(zero.ok());
    CHECK(zero.body.empty());
    CHECK(zero.error->reason.find("exceeds the 0-byte limit") != std::string::npos);

    auto plain = inflate_body(data, "identity", 100);
    REQUIRE_FALSE(plain.ok());
    CHECK(plain.body == data.substr(0, 100));
    CHECK(plain.error->offset == 100);
}

TEST_CASE("truncation at every offset is an error, never a crash", "[content_encoding]") {
    const std::string text = "Status 1, SyncKey 42, a short body the server gzipped anyway.";
    const std::string gz = eas::gzip_compress(text);
    for (std::size_t cut = 1; cut < gz.size(); ++cut) {
        INFO("cut at " << cut << " of " << gz.size());
        auto r = inflate_body(std::string_view(gz).substr(0, cut), "gzip", 1 << 20);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error->offset <= cut);
        CHECK(r.error->reason.find("ends early") != std::string::npos);
        // What was decoded is a prefix of the original.
        CHECK(r.body.size() <= text.size());
        CHECK(text.compare(0, r.body.size(), r.body) == 0);
    }
    const std::string zl = eas::deflate_compress(text);
    for (std::size_t cut = 1; cut < zl.size(); ++cut) {
        INFO("cut at " << cut << " of " << zl.size());
        auto r = inflate_body(std::string_view(zl).substr(0, cut), "deflate", 1 << 20);
        REQUIRE_FALSE(r.ok());
        CHECK(text.compare(0, r.body.size(), r.body) == 0);
    }
}

TEST_CASE("empty body with a coding is nothing to decode", "[content_encoding]") {
    auto r = inflate_body("", "gzip", 1 << 20);
    CHECK(r.ok());
    CHECK(r.body.empty());
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0].find("empty body") != std::string::npos);
}

TEST_CASE("raw deflate labelled deflate falls back", "[content_encoding]") {
    const std::string text = sample_text();
    auto r = inflate_body(eas::raw_deflate_compress(text), "deflate", 1 << 20);
    CHECK(r.ok());
    CHECK(r.body == text);
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0].find("raw deflate") != std::string::npos);

    // A raw stream whose first bytes also form a valid zlib header (78 01): a non-final stored
    // block "A" with padding bits set, then a final stored block "BC". zlib rejects it at once.
    const std::string tricky(
        "\x78\x01\x00\xFE\xFF"
        "A"
        "\x01\x02\x00\xFD\xFF"
        "BC",
        13);
    auto t = inflate_body(tricky, "deflate", 1 << 20);
    CHECK(t.ok());
    CHECK(t.body == "ABC");
    REQUIRE(t.notes.size() == 1);
    CHECK(t.notes[0].find("raw deflate") != std::string::npos);
}

TEST_CASE("neither zlib nor raw deflate is a clear error", "[content_encoding]") {
    const std::string xml = "<?xml version=\"1.0\"?><Autodiscover/>";
    auto d = inflate_body(xml, "deflate", 1 << 20);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error->reason.find("neither zlib-wrapped") != std::string::npos);
    CHECK(d.error->reason.find("3C 3F 78 6D") != std::string::npos);

    auto g = inflate_body(xml, "gzip", 1 << 20);
    REQUIRE_FALSE(g.ok());
    CHECK(g.error->offset == 0);
    CHECK(g.error->reason.find("not gzip data") != std::string::npos);
    CHECK(g.body.empty());
}

TEST_CASE("mislabelled gzip and zlib bodies are decoded with a note", "[content_encoding]") {
    const std::string text = sample_text();
    auto a = inflate_body(eas::gzip_compress(text), "deflate", 1 << 20);
    CHECK(a.ok());
    CHECK(a.body == text);
    CHECK(a.notes.size() == 1);

    auto b = inflate_body(eas::deflate_compress(text), "gzip", 1 << 20);
    CHECK(b.ok());
    CHECK(b.body == text);
    CHECK(b.notes.size() == 1);
}

TEST_CASE("concatenated gzip members are all decoded", "[content_encoding]") {
    const std::string wire =
        eas::gzip_compress("first member, ") + eas::gzip_compress("") + eas::gzip_compress("third");
    auto r = inflate_body(wire, "gzip", 1 << 20);
    CHECK(r.ok());
    CHECK(r.body == "first member, third");
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0].find("3 concatenated members") != std::string::npos);

    // The second member cut short is truncation, not trailing garbage.
    const std::string one = eas::gzip_compress("one");
    auto cut = inflate_body(one + "\x1F", "gzip", 1 << 20);
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.body == "one");
    CHECK(cut.error->reason.find("ends early") != std::string::npos);
}

TEST_CASE("trailing garbage after the gzip stream is an error at its offset",
          "[content_encoding]") {
    const std::string text = sample_text();
    const std::string gz = eas::gzip_compress(text);
    auto r = inflate_body(gz + "\r\n0\r\n\r\n", "gzip", 1 << 20);
    REQUIRE_FALSE(r.ok());
    CHECK(r.body == text);  // everything before it is kept
    CHECK(r.error->offset == gz.size());
    CHECK(r.error->reason.find("7 bytes of unexpected data") != std::string::npos);
    CHECK(r.error->reason.find("0D 0A 30") != std::string::npos);

    auto z = inflate_body(eas::deflate_compress(text) + "xx", "deflate", 1 << 20);
    REQUIRE_FALSE(z.ok());
    CHECK(z.body == text);
    CHECK(z.error->offset == eas::deflate_compress(text).size());
}

TEST_CASE("corrupt data and a bad checksum are reported with an offset", "[content_encoding]") {
    const std::string text = sample_text();
    std::string gz = eas::gzip_compress(text);
    // Last 8 bytes: CRC-32 then ISIZE. Breaking the CRC keeps all the data decodable.
    gz[gz.size() - 8] = static_cast<char>(gz[gz.size() - 8] ^ 0xFF);
    auto crc = inflate_body(gz, "gzip", 1 << 20);
    REQUIRE_FALSE(crc.ok());
    CHECK(crc.body == text);
    CHECK(crc.error->reason.find("incorrect data check") != std::string::npos);
    CHECK(crc.error->offset <= gz.size());

    // A reserved block type (BTYPE 11) in the first deflate block right after the header.
    std::string bad = eas::gzip_compress(text);
    bad[10] = static_cast<char>(0x07);
    auto blk = inflate_body(bad, "gzip", 1 << 20);
    REQUIRE_FALSE(blk.ok());
    CHECK(blk.error->reason.find("corrupt") != std::string::npos);
    CHECK(blk.error->reason.find("invalid block type") != std::string::npos);
    CHECK(blk.error->offset >= 10);
    CHECK(blk.error->offset <= 12);
}

TEST_CASE("random bytes never crash and respect the bound", "[content_encoding]") {
    for (std::uint32_t seed = 0; seed < 300; ++seed) {
        std::string junk = random_bytes(1 + seed % 97, seed);
        if (seed % 3 == 0) junk.insert(0, "\x1F\x8B\x08\x00\x00\x00\x00\x00\x00\x03", 10);
        if (seed % 3 == 1) junk.insert(0, "\x78\x9C", 2);
        for (const char* coding : {"gzip", "deflate", "deflate, gzip"}) {
            auto r = inflate_body(junk, coding, 256);
            CHECK(r.body.size() <= 256);
            if (!r.ok()) CHECK_FALSE(r.error->reason.empty());
        }
    }
}
