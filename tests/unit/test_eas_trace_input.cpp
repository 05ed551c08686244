// eas-trace input: lines from plain and gzip bytes, and the reader over several files that
// reports bad lines as FILE:LINE and numbers the good records across files.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "input.hpp"
#include "reader.hpp"

using namespace eas::trace;

namespace {

std::string gzip(const std::string& data) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::vector<Line> all_lines(ByteSource& source, std::size_t max_line = 1 << 20) {
    LineReader reader(source, max_line);
    std::vector<Line> lines;
    Line line;
    while (reader.next(line)) lines.push_back(line);
    return lines;
}

std::string read_all(ByteSource& s) {
    std::string out;
    char buf[7];  // small on purpose: reads must resume mid-stream
    while (auto n = s.read(buf, sizeof buf)) out.append(buf, n);
    return out;
}

const std::string kRecord1 =
    R"J({"v":1,"id":1,"time":"2026-11-25T12:00:00.000Z","request":{"method":"OPTIONS","target":"/"}})J";
const std::string kRecord2 =
    R"J({"v":1,"id":2,"time":"2026-11-25T12:00:01.000Z","request":{"method":"POST","target":"/"}})J";

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("eas-trace-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& bytes) const {
        const auto p = (path / name).string();
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
};

}  // namespace

TEST_CASE("lines: newline, CRLF, a last line without newline, blank lines") {
    MemorySource src("one\r\ntwo\n\nthree");
    const auto lines = all_lines(src);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].text == "one");
    CHECK(lines[1].text == "two");
    CHECK(lines[2].text.empty());
    CHECK(lines[3].text == "three");
    CHECK(lines[3].number == 4);
    CHECK(lines[3].unterminated);
    CHECK_FALSE(lines[1].unterminated);
}

TEST_CASE("lines: an empty input has none, a final newline adds none") {
    MemorySource empty("");
    CHECK(all_lines(empty).empty());
    MemorySource one("x\n");
    CHECK(all_lines(one).size() == 1);
}

TEST_CASE("lines: a line over the limit is skipped without being held") {
    MemorySource src("short\n" + std::string(5000, 'x') + "\nafter\n");
    const auto lines = all_lines(src, 100);
    REQUIRE(lines.size() == 3);
    CHECK(lines[1].too_long);
    CHECK(lines[1].text.empty());
    CHECK(lines[2].text == "after");
    CHECK(lines[2].number == 3);
}

TEST_CASE("gzip is recognised by its magic bytes and inflated") {
    const std::string text = kRecord1 + "\n" + kRecord2 + "\n";
    auto plain = detect_compression(std::make_unique<MemorySource>(text));
    CHECK(read_all(*plain) == text);
    auto gz = detect_compression(std::make_unique<MemorySource>(gzip(text)));
    CHECK(read_all(*gz) == text);
    CHECK(looks_like_gzip("\x1f\x8b"));
    CHECK_FALSE(looks_like_gzip("{\""));
    CHECK_FALSE(looks_like_gzip("\x1f"));
}

TEST_CASE("concatenated gzip members read as one stream (cat a.gz b.gz)") {
    auto gz = detect_compression(std::make_unique<MemorySource>(gzip("a\n") + gzip("b\n")));
    CHECK(read_all(*gz) == "a\nb\n");
}

TEST_CASE("truncated or corrupt gzip data is an InputError, not a silent end") {
    const auto whole = gzip(std::string(10000, 'z') + "\n");
    auto truncated =
        detect_compression(std::make_unique<MemorySource>(whole.substr(0, whole.size() / 2)));
    CHECK_THROWS_WITH(read_all(*truncated), Catch::Contains("ends early"));

    auto corrupt = whole;
    for (std::size_t i = 12; i < corrupt.size() - 8; ++i) corrupt[i] = '\xff';
    auto bad = detect_compression(std::make_unique<MemorySource>(corrupt));
    CHECK_THROWS_WITH(read_all(*bad), Catch::Contains("corrupt"));

    auto trailing = detect_compression(std::make_unique<MemorySource>(whole + "junk"));
    CHECK_THROWS_WITH(read_all(*trailing), Catch::Contains("after the end"));
}

TEST_CASE("the reader numbers records across files and reports bad lines as FILE:LINE") {
    TempDir dir;
    const auto a = dir.write("trace.jsonl.1", kRecord1 + "\n{\"v\":1,\"id\":\n" + kRecord2 + "\n");
    const auto b = dir.write("trace.jsonl.gz", gzip(kRecord1 + "\n[1,2]\n\n" + kRecord2 + "\n"));
    std::ostringstream err;
    TraceReader reader({a, b}, err);
    REQUIRE(reader.check_inputs());
    std::vector<std::string> seen;
    reader.read([&](const Record& r) {
        seen.push_back(std::filesystem::path(*r.file).filename().string() + ":" +
                       std::to_string(r.line) + "#" + std::to_string(r.number));
        return true;
    });
    CHECK(seen == std::vector<std::string>{"trace.jsonl.1:1#1", "trace.jsonl.1:3#2",
                                           "trace.jsonl.gz:1#3", "trace.jsonl.gz:4#4"});
    CHECK(reader.bad_lines() == 2);
    CHECK_THAT(err.str(), Catch::Contains(a + ":2: not JSON"));
    CHECK_THAT(err.str(), Catch::Contains(b + ":2: not a trace record"));
    CHECK(reader.finish() == kExitBadLines);
    CHECK_THAT(err.str(), Catch::Contains("2 bad lines skipped"));
}

TEST_CASE("quiet bad lines: only the count, and no failure") {
    TempDir dir;
    const auto a = dir.write("t.jsonl", kRecord1 + "\n{broken\n");
    std::ostringstream err;
    ReaderOptions o;
    o.quiet_bad = true;
    TraceReader reader({a}, err, o);
    reader.read([](const Record&) { return true; });
    CHECK(reader.finish() == kExitOk);
    CHECK_THAT(err.str(), !Catch::Contains(":2:"));
    CHECK_THAT(err.str(), Catch::Contains("1 bad line skipped"));
}

TEST_CASE("a missing file is named before anything is read, a truncated gzip is an error") {
    TempDir dir;
    std::ostringstream err;
    TraceReader missing({(dir.path / "nope.jsonl").string()}, err);
    CHECK_FALSE(missing.check_inputs());
    CHECK_THAT(err.str(), Catch::Contains("nope.jsonl: No such file or directory"));

    const auto whole = gzip(kRecord1 + "\n" + std::string(20000, ' ') + kRecord2 + "\n");
    const auto cut = dir.write("cut.gz", whole.substr(0, whole.size() - 20));
    std::ostringstream err2;
    TraceReader reader({cut}, err2);
    REQUIRE(reader.check_inputs());
    std::size_t records = 0;
    reader.read([&](const Record&) {
        ++records;
        return true;
    });
    CHECK(records == 1);
    CHECK_THAT(err2.str(), Catch::Contains("cut.gz: after line"));
    CHECK_THAT(err2.str(), Catch::Contains("truncated"));
    CHECK(reader.finish() == kExitError);
}

TEST_CASE("the reader stops when asked (show N needs only the first N records)") {
    TempDir dir;
    const auto a = dir.write("t.jsonl", kRecord1 + "\n" + kRecord2 + "\n" + kRecord1 + "\n");
    std::ostringstream err;
    TraceReader reader({a}, err);
    std::size_t visits = 0;
    reader.read([&](const Record& r) {
        ++visits;
        return r.number < 2;
    });
    CHECK(visits == 2);
}
