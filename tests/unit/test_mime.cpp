#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "base64.hpp"
#include "mime.hpp"

using eas::mime::decode_encoded_words;
using eas::mime::decode_part_body;
using eas::mime::format_tree;
using eas::mime::parse_mime;
using eas::mime::part_body;
using eas::mime::summarize;

namespace {

std::string crlf(std::string_view lf) {
    std::string out;
    for (char c : lf) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

std::string pdf_bytes() {
    std::string s = "%PDF-1.4\n";
    std::mt19937 rng(5);
    while (s.size() < 1000) s.push_back(static_cast<char>(rng() & 0xFF));
    return s;
}

// base64 wrapped at 76 columns, as mailers send it.
std::string wrapped_base64(std::string_view data) {
    const std::string b64 = eas::base64_encode(data);
    std::string out;
    for (std::size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\n";
    return out;
}

// A message as an iPhone or Outlook sends it in SendMail: multipart/mixed holding a
// multipart/alternative (plain + HTML) and a PDF attachment. Written with LF; tests use both.
std::string sample_message() {
    return "From: =?utf-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.com>\n"
           "To: Alice <alice@example.com>,\n"
           " \"Bob\" <bob@example.com>\n"
           "Cc: carol@example.com\n"
           "Subject: =?iso-8859-1?Q?Gr=FC=DFe?= =?utf-8?Q?_aus_K=C3=B6ln?=\n"
           "Date: Tue, 1 Oct 2024 10:00:00 +0200\n"
           "Message-ID: <abc.123@example.com>\n"
           "MIME-Version: 1.0\n"
           "X-Mailer: iPhone Mail (21A329)\n"
           "Content-Type: multipart/mixed;\n"
           "\tboundary=\"outer-boundary\"\n"
           "\n"
           "This is a multi-part message in MIME format.\n"
           "--outer-boundary\n"
           "Content-Type: multipart/alternative; boundary=inner\n"
           "\n"
           "--inner\n"
           "Content-Type: text/plain; charset=utf-8\n"
           "Content-Transfer-Encoding: quoted-printable\n"
           "\n"
           "Hallo Welt =C3=A4=\n"
           " soft\n"
           "\n"
           "--inner\n"
           "Content-Type: text/html\n"
           "\n"
           "<p>Hallo --outer-boundary and\n"
           "--outer-boundaryX and --outer-boundary-- x</p>\n"
           "--inner--\n"
           "\n"
           "--outer-boundary\n"
           "Content-Type: application/pdf; name=\"report.pdf\"\n"
           "Content-Disposition: attachment; filename=\"report.pdf\"\n"
           "Content-Transfer-Encoding: base64\n"
           "\n" +
           wrapped_base64(pdf_bytes()) +
           "--outer-boundary--\n"
           "epilogue\n";
}

const std::string kHtml =
    "<p>Hallo --outer-boundary and\n--outer-boundaryX and --outer-boundary-- x</p>";

}  // namespace

TEST_CASE("multipart/mixed with an alternative and an attachment (CRLF and bare LF)", "[mime]") {
    for (const bool use_crlf : {true, false}) {
        const std::string input = use_crlf ? crlf(sample_message()) : sample_message();
        INFO((use_crlf ? "CRLF" : "LF"));
        const auto m = parse_mime(input);
        REQUIRE(m.ok());
        CHECK(m.warnings.empty());
        REQUIRE(m.parts.size() == 5);

        const auto& root = m.parts[0];
        CHECK(root.content_type == "multipart/mixed");
        CHECK(root.boundary == "outer-boundary");
        CHECK(root.offset == 0);
        CHECK(root.length == input.size());
        CHECK(root.children == std::vector<std::uint32_t>{1, 4});
        CHECK(root.headers.size() == 9);

        const auto& alt = m.parts[1];
        CHECK(alt.content_type == "multipart/alternative");
        CHECK(alt.parent == 0);
        CHECK(alt.depth == 1);
        CHECK(alt.children == std::vector<std::uint32_t>{2, 3});

        const auto& plain = m.parts[2];
        CHECK(plain.content_type == "text/plain");
        CHECK(plain.charset == "utf-8");
        CHECK(plain.transfer_encoding == "quoted-printable");
        CHECK(plain.depth == 2);
        const std::string eol = use_crlf ? "\r\n" : "\n";
        CHECK(decode_part_body(input, plain, 1000).data == "Hallo Welt \xC3\xA4 soft" + eol);
        CHECK(plain.decoded_size == 18 + eol.size());

        const auto& html = m.parts[3];
        CHECK(html.content_type == "text/html");
        CHECK(html.content_type_defaulted == false);
        // Boundary strings inside a line, with trailing text, or as a longer token are text.
        CHECK(part_body(input, html) == (use_crlf ? crlf(kHtml) : kHtml));

        const auto& pdf = m.parts[4];
        CHECK(pdf.content_type == "application/pdf");
        CHECK(pdf.name == "report.pdf");
        CHECK(pdf.filename == "report.pdf");
        CHECK(pdf.disposition == "attachment");
        CHECK(pdf.transfer_encoding == "base64");
        CHECK(pdf.decoded_size == 1000);
        const auto decoded = decode_part_body(input, pdf, 1 << 20);
        CHECK(decoded.data == pdf_bytes());
        CHECK_FALSE(decoded.truncated);
        CHECK(decode_part_body(input, pdf, 10).data == pdf_bytes().substr(0, 10));
        CHECK(decode_part_body(input, pdf, 10).truncated);
        // Offsets: the entity starts with its first header field, the body after the blank line.
        CHECK(input.substr(pdf.offset, 13) == "Content-Type:");
        CHECK(pdf.offset + pdf.length == input.rfind("--outer-boundary--") - eol.size());
        CHECK(input.substr(pdf.body_offset - 2 * eol.size(), 2 * eol.size()) == eol + eol);
        CHECK(input.substr(pdf.body_offset, 8) == eas::base64_encode(pdf_bytes()).substr(0, 8));

        const auto summary = summarize(m);
        CHECK(format_tree(summary) ==
              "multipart/mixed (2 parts)\n"
              "  multipart/alternative (2 parts)\n"
              "    text/plain; charset=utf-8, " +
                  std::to_string(18 + eol.size()) +
                  " bytes (quoted-printable)\n"
                  "    text/html, " +
                  std::to_string(part_body(input, html).size()) +
                  " bytes\n"
                  "  application/pdf \"report.pdf\", 1000 bytes (base64)\n");

        CHECK(summary.headers.from == "J\xC3\xBCrgen M\xC3\xBCller <juergen@example.com>");
        CHECK(summary.headers.to == "Alice <alice@example.com>, \"Bob\" <bob@example.com>");
        CHECK(summary.headers.cc == "carol@example.com");
        CHECK(summary.headers.subject ==
              "Gr\xC3\xBC\xC3\x9F"
              "e aus K\xC3\xB6ln");
        CHECK(summary.headers.date == "Tue, 1 Oct 2024 10:00:00 +0200");
        CHECK(summary.headers.message_id == "<abc.123@example.com>");
        CHECK(summary.headers.mime_version == "1.0");
        CHECK(summary.headers.mailer == "iPhone Mail (21A329)");
        // The raw value keeps the encoded-words.
        CHECK(root.header("subject")->raw ==
              "=?iso-8859-1?Q?Gr=FC=DFe?= =?utf-8?Q?_aus_K=C3=B6ln?=");
        CHECK(root.header("SUBJECT")->offset == input.find("Subject:"));

        const auto j = eas::mime::to_json(summary);
        CHECK(j["headers"]["subject"] == summary.headers.subject);
        CHECK(j["parts"].size() == 5);
        CHECK(j["parts"][4]["name"] == "report.pdf");
        CHECK(j["parts"][4]["decoded_size"] == 1000);
        CHECK(j["parts"][0]["children"] == 2);
        CHECK_FALSE(j.contains("error"));
        CHECK_NOTHROW(j.dump());
    }
}

TEST_CASE("header summary text", "[mime]") {
    const auto m = parse_mime("From: a@b.c\r\nSubject: hi\r\nUser-Agent: Mutt\r\n\r\nbody");
    REQUIRE(m.ok());
    CHECK(eas::mime::format_headers(eas::mime::summarize_headers(m.parts[0])) ==
          "From: a@b.c\nSubject: hi\nMailer: Mutt\n");
    CHECK(m.parts[0].content_type == "text/plain");
    CHECK(m.parts[0].content_type_defaulted);
    CHECK(format_tree(summarize(m)) == "text/plain, 4 bytes\n");
}

TEST_CASE("RFC 2047 encoded-words", "[mime]") {
    CHECK(decode_encoded_words("=?UTF-8?B?w6TDtsO8?=") == "\xC3\xA4\xC3\xB6\xC3\xBC");
    CHECK(decode_encoded_words("=?utf-8?q?a_b=3Dc?=") == "a b=c");
    CHECK(decode_encoded_words("=?windows-1252?Q?=80_5?=") == "\xE2\x82\xAC 5");
    CHECK(decode_encoded_words("=?ISO-8859-15?Q?=A4?=") == "\xE2\x82\xAC");
    CHECK(decode_encoded_words("=?utf-8*en?Q?hi?=") == "hi");  // RFC 2231 language
    // Whitespace between adjacent encoded-words disappears; elsewhere it stays.
    CHECK(decode_encoded_words("=?utf-8?Q?a?= \r\n =?utf-8?Q?b?=") == "ab");
    CHECK(decode_encoded_words("x =?utf-8?Q?a?= y") == "x a y");
    // Not encoded-words: left alone.
    CHECK(decode_encoded_words("=?utf-8?Q?a b?=") == "=?utf-8?Q?a b?=");
    CHECK(decode_encoded_words("=?utf-8?X?abc?=") == "=?utf-8?X?abc?=");
    CHECK(decode_encoded_words("=?utf-8?B?abc") == "=?utf-8?B?abc");
    CHECK(decode_encoded_words("=?koi8-r?B?8NLJ18XU?=") == "=?koi8-r?B?8NLJ18XU?=");
    CHECK(decode_encoded_words("=?") == "=?");
    CHECK(decode_encoded_words("=?"
                               "?=") ==
          "=?"
          "?=");
    // Invalid UTF-8 inside an encoded-word is replaced, so values stay valid UTF-8.
    CHECK(decode_encoded_words("=?utf-8?B?/w==?=") == "\xEF\xBF\xBD");
}

TEST_CASE("Content-Type and Content-Disposition parameters", "[mime]") {
    const std::string input = crlf(
        "Content-Type: multipart/mixed; boundary=\"b\"\n"
        "\n"
        "--b\n"
        "Content-Type: Application/Octet-Stream ; (comment) name*0=\"long\";\n"
        " name*1=\"name.txt\"\n"
        "Content-Disposition: attachment;\n"
        " filename*=utf-8''%E2%82%AC%20rates.pdf; size=12\n"
        "Content-ID: <img1@example>\n"
        "Content-Transfer-Encoding: 7BIT\n"
        "\n"
        "hello\n"
        "--b\n"
        "Content-Type: image/png; name=\"=?utf-8?B?w6RwZmVs?=.png\"\n"
        "Content-Disposition: inline; filename=\"a \\\"quoted\\\" name.png\"\n"
        "\n"
        "x\n"
        "--b\n"
        "Content-Type: text/plain; charset=\"ISO-8859-1\"; format=flowed\n"
        "\n"
        "--b--\n");
    const auto m = parse_mime(input);
    REQUIRE(m.ok());
    REQUIRE(m.parts.size() == 4);
    const auto& a = m.parts[1];
    CHECK(a.content_type == "application/octet-stream");
    CHECK(a.name == "longname.txt");
    CHECK(a.filename == "\xE2\x82\xAC rates.pdf");
    CHECK(a.display_name() == a.filename);
    CHECK(a.disposition == "attachment");
    CHECK(a.content_id == "img1@example");
    CHECK(a.transfer_encoding == "7bit");
    CHECK(a.decoded_size == 5);
    const auto& b = m.parts[2];
    CHECK(b.name == "\xC3\xA4pfel.png");
    CHECK(b.filename == "a \"quoted\" name.png");
    CHECK(b.disposition == "inline");
    const auto& c = m.parts[3];
    CHECK(c.charset == "ISO-8859-1");
    REQUIRE(c.params.size() == 2);
    CHECK(c.params[1].name == "format");
    CHECK(c.params[1].value == "flowed");
    CHECK(c.body_length == 0);  // empty part: blank line then the delimiter
}

TEST_CASE("message/rfc822 attachments and digests are parsed as nested messages", "[mime]") {
    const std::string input = crlf(
        "Content-Type: multipart/mixed; boundary=m\n"
        "\n"
        "--m\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "Subject: forwarded\n"
        "Content-Type: text/plain\n"
        "\n"
        "inner body\n"
        "--m\n"
        "Content-Type: multipart/digest; boundary=d\n"
        "\n"
        "--d\n"
        "\n"
        "Subject: digest item\n"
        "\n"
        "item\n"
        "--d--\n"
        "--m--\n");
    const auto m = parse_mime(input);
    REQUIRE(m.ok());
    REQUIRE(m.parts.size() == 6);
    CHECK(m.parts[1].content_type == "message/rfc822");
    CHECK(m.parts[1].children == std::vector<std::uint32_t>{2});
    CHECK(eas::mime::summarize_headers(m.parts[2]).subject == "forwarded");
    CHECK(part_body(input, m.parts[2]) == "inner body");
    CHECK(m.parts[4].content_type == "message/rfc822");  // the digest's default
    CHECK(m.parts[4].content_type_defaulted);
    CHECK(m.parts[5].header("Subject")->value == "digest item");
    CHECK(format_tree(summarize(m)) ==
          "multipart/mixed (2 parts)\n"
          "  message/rfc822\n"
          "    text/plain, 10 bytes\n"
          "  multipart/digest (1 part)\n"
          "    message/rfc822\n"
          "      text/plain, 4 bytes\n");
}

TEST_CASE("truncated messages give the tree so far and an error", "[mime]") {
    const std::string input = crlf(sample_message());

    // Cut in the middle of the attachment: no closing delimiter.
    const std::size_t mid = input.rfind("--outer-boundary--") - 300;
    const auto m = parse_mime(std::string_view(input).substr(0, mid));
    REQUIRE_FALSE(m.ok());
    CHECK(m.error->offset == mid);
    CHECK(m.error->reason.find("no closing delimiter") != std::string::npos);
    REQUIRE(m.parts.size() == 5);
    CHECK(m.parts[4].content_type == "application/pdf");
    CHECK(m.parts[4].offset + m.parts[4].length == mid);
    CHECK(*m.parts[4].decoded_size < 1000);
    const auto tree = format_tree(summarize(m));
    CHECK(tree.find("application/pdf \"report.pdf\"") != std::string::npos);
    CHECK(tree.find("error at byte " + std::to_string(mid) + ": ") != std::string::npos);

    // Cut inside the top-level header block.
    const auto h = parse_mime(std::string_view(input).substr(0, 100));
    REQUIRE_FALSE(h.ok());
    CHECK(h.error->offset == 100);
    CHECK(h.error->reason.find("without an empty line") != std::string::npos);

    // Every cut: no crash, parts inside the input, an error unless the cut is in the epilogue.
    const std::size_t closing_end = input.rfind("--outer-boundary--") + 18;
    for (std::size_t cut = 0; cut < input.size(); ++cut) {
        const std::string_view part = std::string_view(input).substr(0, cut);
        const auto r = parse_mime(part);
        INFO("cut at " << cut);
        REQUIRE(!r.parts.empty());
        for (const auto& p : r.parts) {
            REQUIRE(p.offset + p.length <= cut);
            REQUIRE(p.body_offset + p.body_length <= cut);
            REQUIRE(p.body_offset >= p.offset);
        }
        // ("F" to "From" could as well be a body without headers.)
        if (cut > 4 && cut < closing_end) CHECK_FALSE(r.ok());
        if (cut >= closing_end) CHECK(r.ok());
        if (!r.ok()) CHECK(r.error->offset <= cut);
    }
}

TEST_CASE("multipart without delimiters or boundary", "[mime]") {
    const std::string text = "Content-Type: multipart/mixed; boundary=zz\n\njust text\n";
    const auto none = parse_mime(text);
    REQUIRE_FALSE(none.ok());
    CHECK(none.error->reason.find("no delimiter line") != std::string::npos);
    CHECK(none.error->offset == text.find("just"));
    CHECK(none.parts.size() == 1);

    const auto nob = parse_mime("Content-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n");
    CHECK(nob.ok());
    CHECK(nob.parts.size() == 1);
    REQUIRE(nob.warnings.size() == 1);
    CHECK(nob.warnings[0].find("no boundary") != std::string::npos);

    // Preamble lines that only start like the boundary, whitespace after a delimiter.
    const auto ws =
        parse_mime("Content-Type: multipart/mixed; boundary=b\n\n--bb\n--b \t\nx\n--b-- \n");
    REQUIRE(ws.ok());
    REQUIRE(ws.parts.size() == 2);
    CHECK(ws.parts[1].body_length == 1);
}

TEST_CASE("odd header blocks", "[mime]") {
    // No headers at all: the body starts at byte 0.
    const auto body_only = parse_mime("hello world\nsecond line\n");
    CHECK(body_only.ok());
    CHECK(body_only.parts[0].body_offset == 0);
    CHECK(body_only.parts[0].headers.empty());
    CHECK(body_only.warnings.size() == 1);

    // An mbox "From " line, a continuation with nothing before it, spaces before the colon.
    const auto mbox = parse_mime("From someone Tue Oct 1\nSubject : x\n\nbody");
    CHECK(mbox.ok());
    REQUIRE(mbox.parts[0].headers.size() == 1);
    CHECK(mbox.parts[0].headers[0].name == "Subject");
    CHECK(mbox.parts[0].headers[0].value == "x");

    const auto leading = parse_mime(" indented\nSubject: x\n\nbody");
    CHECK(leading.parts[0].body_offset == 0);

    // An empty input, a lone blank line.
    CHECK(parse_mime("").ok());
    CHECK(parse_mime("").parts.size() == 1);
    CHECK(parse_mime("\r\n").ok());

    // Invalid UTF-8 and control bytes in headers: the JSON still dumps.
    const auto bad = parse_mime("Subject: \xFF\xFE caf\xE9\nFrom: \x01\x02\n\nx");
    CHECK(bad.parts[0].header("Subject")->raw == "\xFF\xFE caf\xE9");
    CHECK_NOTHROW(eas::mime::to_json(summarize(bad)).dump());
    CHECK_NOTHROW(format_tree(summarize(bad)));
}

TEST_CASE("hostile input is bounded", "[mime][hostile]") {
    const auto start = std::chrono::steady_clock::now();

    SECTION("10 000 nested multiparts") {
        std::string s;
        for (int i = 0; i < 10000; ++i) {
            s += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) +
                 "\"\r\n\r\n--b" + std::to_string(i) + "\r\n";
        }
        s += "\r\ninnermost\r\n";
        const auto m = parse_mime(s);
        REQUIRE_FALSE(m.ok());
        CHECK(m.error->reason.find("nested deeper than 32") != std::string::npos);
        CHECK(m.parts.size() == 33);
        CHECK(m.parts.back().depth == 32);
        CHECK(m.error->offset == m.parts.back().body_offset);

        // The same boundary at every level.
        std::string same;
        for (int i = 0; i < 10000; ++i)
            same += "Content-Type: multipart/mixed; boundary=b\n\n--b\n";
        const auto m2 = parse_mime(same);
        CHECK_FALSE(m2.ok());
        CHECK(m2.parts.size() <= 1000);
    }
    SECTION("a million tiny parts hit the part limit") {
        std::string s = "Content-Type: multipart/mixed; boundary=b\n\n";
        for (int i = 0; i < 1000000; ++i) s += "--b\n";
        const auto m = parse_mime(s);
        REQUIRE_FALSE(m.ok());
        CHECK(m.error->reason.find("more than 1000 MIME parts") != std::string::npos);
        CHECK(m.parts.size() == 1000);
    }
    SECTION("huge header lines are cut") {
        std::string s = "Subject: " + std::string(10 * 1024 * 1024, 'x') + "\r\nX-Folded: a";
        for (int i = 0; i < 100000; ++i) s += "\r\n b";
        s += "\r\n\r\nbody";
        const auto m = parse_mime(s);
        CHECK(m.ok());
        REQUIRE(m.parts[0].headers.size() == 2);
        CHECK(m.parts[0].headers[0].cut);
        CHECK(m.parts[0].headers[0].raw.size() <= 64 * 1024);
        CHECK(m.parts[0].headers[1].raw.size() <= 64 * 1024);
        CHECK(m.warnings.size() == 2);
        CHECK(part_body(s, m.parts[0]) == "body");
    }
    SECTION("many header fields") {
        std::string s;
        for (int i = 0; i < 100000; ++i) s += "X-H: v\n  cont\n";
        s += "\nbody";
        const auto m = parse_mime(s);
        CHECK(m.ok());
        CHECK(m.parts[0].headers.size() == 500);
        CHECK(part_body(s, m.parts[0]) == "body");
    }
    SECTION("encoded-word look-alikes without an end stay linear") {
        std::string spam;
        for (int i = 0; i < 500000; ++i) spam += "=?utf-8?q?a";
        CHECK(decode_encoded_words(spam) == spam);
        std::string words;
        for (int i = 0; i < 200000; ++i) words += "=?utf-8?q?a?=";
        CHECK(decode_encoded_words(words) == std::string(200000, 'a'));
        const auto m = parse_mime("Subject: " + spam.substr(0, 60000) + "\n\nbody");
        CHECK(m.ok());
    }
    SECTION("a huge unterminated line, no line breaks") {
        const auto m = parse_mime(std::string(20 * 1024 * 1024, 'A'));
        CHECK(m.parts.size() == 1);
    }
    SECTION("random bytes and random mutations of a real message") {
        std::mt19937 rng(2024);
        const std::string base = crlf(sample_message());
        for (int round = 0; round < 300; ++round) {
            std::string s = base;
            const int edits = 1 + static_cast<int>(rng() % 20);
            for (int e = 0; e < edits; ++e) {
                const std::size_t at = rng() % s.size();
                switch (rng() % 4) {
                    case 0:
                        s[at] = static_cast<char>(rng() & 0xFF);
                        break;
                    case 1:
                        s.insert(at, "\r\n--outer-boundary\r\n");
                        break;
                    case 2:
                        s.insert(at, "\n--inner--\n");
                        break;
                    default:
                        s.erase(at, rng() % 50);
                        break;
                }
            }
            const auto m = parse_mime(s);
            for (const auto& p : m.parts) {
                REQUIRE(p.offset + p.length <= s.size());
                REQUIRE(p.body_offset + p.body_length <= s.size());
                for (std::uint32_t c : p.children) REQUIRE(c < m.parts.size());
            }
            CHECK_NOTHROW(eas::mime::to_json(summarize(m)).dump());
        }
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}
