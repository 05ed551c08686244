#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "base64.hpp"
#include "request_line.hpp"

using eas::EasRequestLine;
using eas::QueryForm;

namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) out.push_back(static_cast<char>(v));
    return out;
}

// version 14.1, Sync, en-US, device id "dev1", no policy key, device type "Phone"; tests
// append parameters or truncate it.
std::string header() {
    return bytes({0x8D, 0x00, 0x09, 0x04, 4}) + "dev1" + bytes({0, 5}) + "Phone";
}

std::string query_of(const std::string& raw) {
    return "?" + eas::base64_encode(raw);
}

void require_decoded_error(const EasRequestLine& r, std::size_t offset) {
    REQUIRE(r.error.has_value());
    CHECK(r.error->in_decoded_query);
    CHECK(r.error->offset == offset);
    CHECK_FALSE(r.ok());
}

}  // namespace

TEST_CASE("MS-ASHTTP worked example decodes as the specification says", "[request_line]") {
    const std::string example = "jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l";
    const auto raw = eas::base64_decode(example);
    REQUIRE(raw);
    CHECK(eas::hex_encode(*raw) == "8c0009040a76313430446576696365000a536d61727450686f6e65");

    for (const std::string& input :
         {example, "?" + example, "/Microsoft-Server-ActiveSync?" + example}) {
        INFO(input);
        const EasRequestLine r = eas::parse_request_line(input);
        CHECK(r.ok());
        CHECK(r.form == QueryForm::Base64);
        CHECK(r.protocol_version == "14.0");
        CHECK(r.command == "Sync");
        CHECK(r.command_code == 0);
        CHECK(r.locale == 0x0409);
        CHECK(r.device_id == "v140Device");
        CHECK_FALSE(r.binary_device_id);
        CHECK_FALSE(r.policy_key.has_value());
        CHECK(r.device_type == "SmartPhone");
        CHECK(r.user.empty());
        CHECK(r.parameters.empty());
        CHECK_FALSE(r.save_in_sent.has_value());
        CHECK_FALSE(r.accept_multipart.has_value());
        CHECK(r.warnings.empty());
    }
    CHECK(eas::parse_request_line("/Microsoft-Server-ActiveSync?" + example).path ==
          "/Microsoft-Server-ActiveSync");
}

TEST_CASE("encoder reproduces the MS-ASHTTP example byte for byte", "[request_line]") {
    EasRequestLine r;
    r.protocol_version = "14.0";
    r.command = "Sync";
    r.locale = 0x0409;
    r.device_id = "v140Device";
    r.device_type = "SmartPhone";
    std::string why;
    CHECK(eas::encode_base64_query(r, &why) == "jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l");
    CHECK(why.empty());
}

TEST_CASE("command table", "[request_line]") {
    CHECK(eas::command_name(0) == "Sync");
    CHECK(eas::command_name(4) == "GetAttachment");
    CHECK(eas::command_name(9) == "FolderSync");
    CHECK(eas::command_name(20) == "Provision");
    CHECK(eas::command_name(22) == "ValidateCert");
    CHECK(eas::command_name(23) == "Find");
    for (int unassigned : {-1, 5, 6, 7, 8, 24, 255, 1000}) {
        INFO(unassigned);
        CHECK(eas::command_name(unassigned).empty());
    }
    CHECK(eas::command_code("Find") == 23);
    CHECK(eas::command_code("itemoperations") == 19);
    CHECK(eas::command_code("PING") == 18);
    CHECK_FALSE(eas::command_code("GetHierarchy").has_value());
    CHECK_FALSE(eas::command_code("").has_value());
    CHECK_FALSE(eas::command_code("Sync ").has_value());
    for (int code = 0; code < 24; ++code) {
        if (!eas::command_name(code).empty()) {
            CHECK(eas::command_code(eas::command_name(code)) == code);
        }
    }
}

TEST_CASE("telling plain from base64 (MS-ASHTTP 1.5)", "[request_line]") {
    CHECK(eas::detect_query_form("") == QueryForm::None);
    CHECK(eas::detect_query_form("Cmd=Sync") == QueryForm::Plain);
    CHECK(eas::detect_query_form("cmd=") == QueryForm::Plain);
    CHECK(eas::detect_query_form("User=x") == QueryForm::Plain);
    CHECK(eas::detect_query_form("a&b") == QueryForm::Plain);
    CHECK(eas::detect_query_form("jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l") == QueryForm::Base64);
    CHECK(eas::detect_query_form("jQAJBAQ+//vvAAVOb2tpYQ==") == QueryForm::Base64);
    CHECK(eas::detect_query_form("jQAJBAQ%2B%2F%2FvvAAVOb2tpYQ%3D%3D") == QueryForm::Base64);
    CHECK(eas::detect_query_form("abc=") == QueryForm::Base64);
}

TEST_CASE("plain query with every identity field", "[request_line]") {
    const EasRequestLine r = eas::parse_request_line(
        "/Microsoft-Server-ActiveSync?Cmd=Sync&User=CONTOSO%5Cjohn&DeviceId=ABC123&DeviceType="
        "iPhone");
    CHECK(r.ok());
    CHECK(r.form == QueryForm::Plain);
    CHECK(r.path == "/Microsoft-Server-ActiveSync");
    CHECK(r.command == "Sync");
    CHECK(r.command_code == 0);
    CHECK(r.user == "CONTOSO\\john");
    CHECK(r.device_id == "ABC123");
    CHECK(r.device_type == "iPhone");
    CHECK(r.parameters.empty());
    CHECK(r.warnings.empty());
    CHECK_FALSE(r.protocol_version.has_value());
    CHECK_FALSE(r.policy_key.has_value());
    CHECK_FALSE(r.locale.has_value());
}

TEST_CASE("plain keys are case-insensitive and parameters keep their order", "[request_line]") {
    const EasRequestLine r = eas::parse_request_line(
        "cmd=SmartReply&user=u&deviceid=d&DEVICETYPE=t&itemid=5%3A1&Foo=bar&collectionid=7&"
        "LONGID=L&occurrence=2024&SaveInSent=T&attachmentname=a.txt&parentid=0&z");
    CHECK(r.ok());
    CHECK(r.command == "SmartReply");
    CHECK(r.command_code == 3);
    CHECK(r.user == "u");
    CHECK(r.device_id == "d");
    CHECK(r.device_type == "t");
    CHECK(r.save_in_sent == true);
    CHECK_FALSE(r.accept_multipart.has_value());
    REQUIRE(r.parameters.size() == 8);
    CHECK(r.parameters[0] == eas::QueryParameter{"ItemId", "5:1"});
    CHECK(r.parameters[1] == eas::QueryParameter{"Foo", "bar"});
    CHECK(r.parameters[2] == eas::QueryParameter{"CollectionId", "7"});
    CHECK(r.parameters[3] == eas::QueryParameter{"LongId", "L"});
    CHECK(r.parameters[4] == eas::QueryParameter{"Occurrence", "2024"});
    CHECK(r.parameters[5] == eas::QueryParameter{"AttachmentName", "a.txt"});
    CHECK(r.parameters[6] == eas::QueryParameter{"ParentId", "0"});
    CHECK(r.parameters[7] == eas::QueryParameter{"z", ""});
    REQUIRE(r.parameter("itemid") != nullptr);
    CHECK(*r.parameter("itemid") == "5:1");
    CHECK(r.parameter("Missing") == nullptr);
}

TEST_CASE("plain query decoding of + and percent escapes", "[request_line]") {
    const EasRequestLine r = eas::parse_request_line(
        "Cmd=SendMail&User=John+Doe&DeviceId=a%2Bb&DeviceType=%e4%b8%ad&AcceptMultiPart=f");
    CHECK(r.ok());
    CHECK(r.user == "John Doe");
    CHECK(r.device_id == "a+b");
    CHECK(r.device_type == "\xe4\xb8\xad");
    CHECK(r.accept_multipart == false);
}

TEST_CASE("malformed percent escapes are errors that keep the rest", "[request_line]") {
    const std::string input =
        "/Microsoft-Server-ActiveSync?Cmd=Sync&User=a%zzb&DeviceId=x&DeviceType=y";
    const EasRequestLine r = eas::parse_request_line(input);
    REQUIRE(r.error);
    CHECK_FALSE(r.error->in_decoded_query);
    CHECK(r.error->offset == input.find('%'));
    CHECK_THAT(r.error->reason, Catch::Contains("not followed by two hex digits"));
    CHECK(r.user == "a%zzb");
    CHECK(r.device_id == "x");
    CHECK(r.device_type == "y");

    const EasRequestLine truncated = eas::parse_request_line("Cmd=Sync&User=u%4");
    REQUIRE(truncated.error);
    CHECK(truncated.error->offset == 15);
    CHECK(truncated.user == "u%4");

    // Only the first error is reported; it points at the first bad escape.
    const EasRequestLine two = eas::parse_request_line("Cmd=%&User=%");
    REQUIRE(two.error);
    CHECK(two.error->offset == 4);
}

TEST_CASE("plain query warnings", "[request_line]") {
    SECTION("missing identity fields") {
        const EasRequestLine r = eas::parse_request_line("Cmd=Ping&User=u");
        CHECK(r.ok());
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("DeviceId, DeviceType"));
        CHECK_THAT(r.warnings[0], Catch::StartsWith("plain query lacks"));
    }
    SECTION("no Cmd at all") {
        const EasRequestLine r = eas::parse_request_line("User=u&DeviceId=d&DeviceType=t");
        CHECK(r.form == QueryForm::Plain);
        CHECK(r.command.empty());
        CHECK_FALSE(r.command_code.has_value());
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("lacks Cmd"));
    }
    SECTION("duplicate Cmd keeps the first") {
        const EasRequestLine r =
            eas::parse_request_line("Cmd=Sync&cmd=Ping&User=u&DeviceId=d&DeviceType=t");
        CHECK(r.command == "Sync");
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("Cmd appears more than once"));
    }
    SECTION("unknown and legacy commands") {
        const EasRequestLine unknown =
            eas::parse_request_line("Cmd=Frobnicate&User=u&DeviceId=d&DeviceType=t");
        CHECK(unknown.command == "Frobnicate");
        CHECK_FALSE(unknown.command_code.has_value());
        REQUIRE(unknown.warnings.size() == 1);
        CHECK_THAT(unknown.warnings[0], Catch::Contains("not an EAS command"));

        const EasRequestLine legacy =
            eas::parse_request_line("Cmd=GetHierarchy&User=u&DeviceId=d&DeviceType=t");
        CHECK(legacy.command == "GetHierarchy");
        CHECK_FALSE(legacy.command_code.has_value());
        CHECK(legacy.warnings.empty());
    }
    SECTION("empty Cmd") {
        const EasRequestLine r = eas::parse_request_line("Cmd=&User=u&DeviceId=d&DeviceType=t");
        CHECK(r.form == QueryForm::Plain);
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0] == "Cmd is empty");
    }
    SECTION("SaveInSent that is neither T nor F stays a parameter") {
        const EasRequestLine r =
            eas::parse_request_line("Cmd=SendMail&User=u&DeviceId=d&DeviceType=t&SaveInSent=yes");
        CHECK_FALSE(r.save_in_sent.has_value());
        REQUIRE(r.parameters.size() == 1);
        CHECK(r.parameters[0] == eas::QueryParameter{"SaveInSent", "yes"});
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("neither T nor F"));
    }
    SECTION("a parameter without a name") {
        const EasRequestLine r =
            eas::parse_request_line("Cmd=Sync&User=u&DeviceId=d&DeviceType=t&=v");
        REQUIRE(r.parameters.size() == 1);
        CHECK(r.parameters[0] == eas::QueryParameter{"", "v"});
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0] == "parameter without a name at character 40");
    }
    SECTION("empty pairs are ignored") {
        const EasRequestLine r =
            eas::parse_request_line("&&Cmd=Sync&&User=u&DeviceId=d&DeviceType=t&");
        CHECK(r.ok());
        CHECK(r.warnings.empty());
        CHECK(r.parameters.empty());
    }
}

TEST_CASE("empty query: OPTIONS and friends", "[request_line]") {
    for (const char* input :
         {"/Microsoft-Server-ActiveSync", "/Microsoft-Server-ActiveSync?", "", "   ", "?"}) {
        INFO(input);
        const EasRequestLine r = eas::parse_request_line(input);
        CHECK(r.ok());
        CHECK(r.form == QueryForm::None);
        CHECK(r.command.empty());
        CHECK_FALSE(r.command_code.has_value());
        CHECK(r.warnings.empty());
    }
    const EasRequestLine options =
        eas::parse_request_line("OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1\r\n");
    CHECK(options.ok());
    CHECK(options.method == "OPTIONS");
    CHECK(options.path == "/Microsoft-Server-ActiveSync");
    CHECK(options.form == QueryForm::None);
}

TEST_CASE("whole request lines, absolute URLs and offsets into them", "[request_line]") {
    const std::string line =
        "POST /Microsoft-Server-ActiveSync?Cmd=Sync&User=%G&DeviceId=d&DeviceType=t HTTP/1.1";
    const EasRequestLine r = eas::parse_request_line(line);
    CHECK(r.method == "POST");
    CHECK(r.path == "/Microsoft-Server-ActiveSync");
    CHECK(r.command == "Sync");
    CHECK(r.device_type == "t");
    REQUIRE(r.error);
    CHECK(r.error->offset == line.find('%'));

    const EasRequestLine absolute = eas::parse_request_line(
        "https://mail.contoso.com:8443/Microsoft-Server-ActiveSync?"
        "jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l");
    CHECK(absolute.ok());
    CHECK(absolute.path == "/Microsoft-Server-ActiveSync");
    CHECK(absolute.device_id == "v140Device");

    const std::string padded = "  \tCmd=Sync&User=%&DeviceId=d&DeviceType=t\r\n";
    const EasRequestLine trimmed = eas::parse_request_line(padded);
    REQUIRE(trimmed.error);
    CHECK(trimmed.error->offset == padded.find('%'));
    CHECK(trimmed.device_type == "t");
}

TEST_CASE("base64 query with +, / and = in all their spellings", "[request_line]") {
    // Device id 3e ff fb ef makes the base64 text contain '+', '/' and "==".
    const std::string standard = "jQAJBAQ+//vvAAVOb2tpYQ==";
    for (const std::string& text :
         {standard, std::string("jQAJBAQ%2B%2F%2FvvAAVOb2tpYQ%3D%3D"),
          std::string("jQAJBAQ%2b%2f%2fvvAAVOb2tpYQ%3d%3d"), std::string("jQAJBAQ-__vvAAVOb2tpYQ"),
          std::string("jQAJBAQ+//vvAAVOb2tpYQ")}) {
        INFO(text);
        const EasRequestLine r = eas::parse_request_line("/Microsoft-Server-ActiveSync?" + text);
        CHECK(r.ok());
        CHECK(r.form == QueryForm::Base64);
        CHECK(r.protocol_version == "14.1");
        CHECK(r.command == "Sync");
        CHECK(r.binary_device_id);
        CHECK(r.device_id == "3efffbef");
        CHECK(r.device_type == "Nokia");
        CHECK(r.warnings.empty());
    }
}

TEST_CASE("base64 fields: policy key, locale, parameters and options", "[request_line]") {
    const std::string raw = bytes({0xA1, 21, 0x07, 0x04, 3}) + "abc" +
                            bytes({4, 0x78, 0x56, 0x34, 0x12, 7}) + "Android" + bytes({0, 5}) +
                            "a.txt" + bytes({1, 2}) + "17" + bytes({3, 3}) + "5:1" + bytes({4, 1}) +
                            "L" + bytes({6, 4}) + "2024" + bytes({2, 1}) + "C" + bytes({5, 1}) +
                            "P" + bytes({7, 1, 0x03}) + bytes({8, 13}) + "john@contoso";
    // The User value above is 12 bytes, not 13: the length chain must catch that.
    const EasRequestLine broken = eas::parse_base64_query_bytes(raw);
    require_decoded_error(broken, raw.size() - 13);
    CHECK_THAT(broken.error->reason,
               Catch::Contains("parameter User (tag 8) length 13 at byte " +
                               std::to_string(raw.size() - 13) + " runs past the end"));
    CHECK(broken.command == "ResolveRecipients");
    CHECK(broken.save_in_sent == true);
    CHECK(broken.user.empty());

    const EasRequestLine r = eas::parse_base64_query_bytes(raw + "x");
    CHECK(r.ok());
    CHECK(r.protocol_version == "16.1");
    CHECK(r.command == "ResolveRecipients");
    CHECK(r.command_code == 21);
    CHECK(r.locale == 0x0407);
    CHECK(r.device_id == "abc");
    CHECK(r.policy_key == 0x12345678u);
    CHECK(r.device_type == "Android");
    CHECK(r.user == "john@contosox");
    CHECK(r.save_in_sent == true);
    CHECK(r.accept_multipart == true);
    REQUIRE(r.parameters.size() == 7);
    CHECK(r.parameters[0] == eas::QueryParameter{"AttachmentName", "a.txt"});
    CHECK(r.parameters[1] == eas::QueryParameter{"CollectionId", "17"});
    CHECK(r.parameters[2] == eas::QueryParameter{"ItemId", "5:1"});
    CHECK(r.parameters[3] == eas::QueryParameter{"LongId", "L"});
    CHECK(r.parameters[4] == eas::QueryParameter{"Occurrence", "2024"});
    CHECK(r.parameters[5] == eas::QueryParameter{"CollectionName", "C"});
    CHECK(r.parameters[6] == eas::QueryParameter{"ParentId", "P"});
    CHECK(r.warnings.empty());
}

TEST_CASE("base64 Options byte", "[request_line]") {
    SECTION("SaveInSent only") {
        const EasRequestLine r = eas::parse_base64_query_bytes(header() + bytes({7, 1, 0x01}));
        CHECK(r.ok());
        CHECK(r.save_in_sent == true);
        CHECK(r.accept_multipart == false);
        CHECK(r.parameters.empty());
    }
    SECTION("AcceptMultiPart only") {
        const EasRequestLine r = eas::parse_base64_query_bytes(header() + bytes({7, 1, 0x02}));
        CHECK(r.save_in_sent == false);
        CHECK(r.accept_multipart == true);
    }
    SECTION("unknown bits are reported") {
        const EasRequestLine r = eas::parse_base64_query_bytes(header() + bytes({7, 1, 0x85}));
        CHECK(r.ok());
        CHECK(r.save_in_sent == true);
        CHECK(r.accept_multipart == false);
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("unknown bits 0x84"));
    }
    SECTION("empty, long and repeated Options") {
        const EasRequestLine empty = eas::parse_base64_query_bytes(header() + bytes({7, 0}));
        CHECK(empty.ok());
        CHECK_FALSE(empty.save_in_sent.has_value());
        REQUIRE(empty.warnings.size() == 1);
        CHECK_THAT(empty.warnings[0], Catch::Contains("is empty"));

        const EasRequestLine longer =
            eas::parse_base64_query_bytes(header() + bytes({7, 2, 0x02, 0x01}));
        CHECK(longer.accept_multipart == true);
        CHECK(longer.save_in_sent == false);
        REQUIRE(longer.warnings.size() == 1);
        CHECK_THAT(longer.warnings[0], Catch::Contains("only the first is used"));

        const EasRequestLine twice =
            eas::parse_base64_query_bytes(header() + bytes({7, 1, 0x01, 7, 1, 0x02}));
        CHECK(twice.save_in_sent == true);
        CHECK(twice.accept_multipart == false);
        REQUIRE(twice.warnings.size() == 1);
        CHECK_THAT(twice.warnings[0], Catch::Contains("second Options"));
    }
}

TEST_CASE("base64 oddities that still decode", "[request_line]") {
    SECTION("unknown protocol version") {
        std::string raw = header();
        raw[0] = 0x19;  // 2.5 may not use the base64 form
        const EasRequestLine r = eas::parse_base64_query_bytes(raw);
        CHECK(r.ok());
        CHECK(r.protocol_version == "2.5");
        CHECK(r.device_type == "Phone");
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("0x19 (2.5) at byte 0"));
        raw[0] = static_cast<char>(0xFF);
        CHECK(eas::parse_base64_query_bytes(raw).protocol_version == "25.5");
    }
    SECTION("every version MS-ASHTTP allows decodes without warning") {
        for (int v : {0x79, 0x8C, 0x8D, 0xA0, 0xA1}) {
            std::string raw = header();
            raw[0] = static_cast<char>(v);
            const EasRequestLine r = eas::parse_base64_query_bytes(raw);
            CHECK(r.warnings.empty());
        }
        std::string raw = header();
        raw[0] = static_cast<char>(0x79);
        CHECK(eas::parse_base64_query_bytes(raw).protocol_version == "12.1");
    }
    SECTION("unassigned command code") {
        std::string raw = header();
        raw[1] = 7;
        const EasRequestLine r = eas::parse_base64_query_bytes(raw);
        CHECK(r.ok());
        CHECK(r.command.empty());
        CHECK(r.command_code == 7);
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("command code 7 at byte 1"));
    }
    SECTION("Find is code 23") {
        std::string raw = header();
        raw[1] = 23;
        CHECK(eas::parse_base64_query_bytes(raw).command == "Find");
    }
    SECTION("unknown parameter tag is kept") {
        const EasRequestLine r = eas::parse_base64_query_bytes(header() + bytes({9, 2}) + "hi");
        CHECK(r.ok());
        REQUIRE(r.parameters.size() == 1);
        CHECK(r.parameters[0] == eas::QueryParameter{"tag 9", "hi"});
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("unknown parameter tag 9 at byte 16"));
    }
    SECTION("repeated User keeps the first") {
        const EasRequestLine r =
            eas::parse_base64_query_bytes(header() + bytes({8, 1}) + "a" + bytes({8, 1}) + "b");
        CHECK(r.user == "a");
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("second User"));
    }
    SECTION("empty device id and device type") {
        const EasRequestLine r = eas::parse_base64_query_bytes(bytes({0x8C, 0, 9, 4, 0, 0, 0}));
        CHECK(r.ok());
        CHECK(r.device_id.empty());
        CHECK_FALSE(r.binary_device_id);
        CHECK(r.device_type.empty());
        CHECK(r.warnings.size() == 2);
    }
    SECTION("binary device type is reported, not hidden") {
        const EasRequestLine r =
            eas::parse_base64_query_bytes(bytes({0x8C, 0, 9, 4, 1, 'x', 0, 2, 0x01, 'A'}));
        CHECK(r.ok());
        CHECK(r.device_type == bytes({0x01, 'A'}));
        REQUIRE(r.warnings.size() == 1);
        CHECK_THAT(r.warnings[0], Catch::Contains("not printable ASCII"));
    }
    SECTION("a GUID device id becomes lower-case hex") {
        const std::string guid = bytes({0x00, 0x11, 0xAA, 0xFF, 0x7F, 0x80, 0x20, 0x41});
        const EasRequestLine r =
            eas::parse_base64_query_bytes(bytes({0x8C, 0, 9, 4, 8}) + guid + bytes({0, 1}) + "P");
        CHECK(r.ok());
        CHECK(r.binary_device_id);
        CHECK(r.device_id == "0011aaff7f802041");
    }
}

TEST_CASE("base64 length chain errors name the byte", "[request_line]") {
    const std::string full = header() + bytes({1, 2}) + "17";

    SECTION("nothing at all") {
        const EasRequestLine r = eas::parse_base64_query_bytes("");
        require_decoded_error(r, 0);
        CHECK_THAT(r.error->reason, Catch::Contains("no bytes"));
    }
    SECTION("every truncation fails at the field it cuts") {
        // Offset of the field each prefix length runs into; 16 bytes is a complete header.
        const std::size_t expected[] = {0,  1,  2,  2,  4,  4,  4,        4,  4,  9,
                                        10, 10, 10, 10, 10, 10, SIZE_MAX, 16, 17, 17};
        REQUIRE(std::size(expected) == full.size());
        for (std::size_t len = 0; len < full.size(); ++len) {
            INFO("prefix length " << len);
            const EasRequestLine r = eas::parse_base64_query_bytes(full.substr(0, len));
            if (expected[len] == SIZE_MAX) {
                CHECK(r.ok());
                continue;
            }
            require_decoded_error(r, expected[len]);
            CHECK(r.error->offset <= len);
        }
        CHECK(eas::parse_base64_query_bytes(full).ok());
        // A tag with its length but a short value points at the length byte.
        const EasRequestLine r = eas::parse_base64_query_bytes(full.substr(0, full.size() - 1));
        require_decoded_error(r, 17);
        CHECK(r.device_type == "Phone");
        CHECK(r.parameters.empty());
    }
    SECTION("the brief's example wording") {
        std::string raw = bytes({0x8C, 0, 9, 4, 200}) + std::string(32, 'x');
        REQUIRE(raw.size() == 37);
        const EasRequestLine r = eas::parse_base64_query_bytes(raw);
        require_decoded_error(r, 4);
        CHECK(r.error->reason ==
              "base64 query: device id length 200 at byte 4 runs past the end of the 37-byte "
              "query");
        CHECK(r.command == "Sync");
        CHECK(r.locale == 0x0409);
        CHECK(r.device_id.empty());
    }
    SECTION("policy key length other than 0 or 4") {
        for (int bad : {1, 2, 3, 5, 255}) {
            INFO(bad);
            const EasRequestLine r = eas::parse_base64_query_bytes(
                bytes({0x8C, 0, 9, 4, 2, 'i', 'd', bad, 1, 2, 3, 4, 5, 0}));
            require_decoded_error(r, 7);
            CHECK_THAT(r.error->reason, Catch::Contains("must be 0 or 4"));
            CHECK(r.device_id == "id");
            CHECK_FALSE(r.policy_key.has_value());
        }
    }
    SECTION("policy key cut short") {
        const EasRequestLine r =
            eas::parse_base64_query_bytes(bytes({0x8C, 0, 9, 4, 2, 'i', 'd', 4, 1, 2}));
        require_decoded_error(r, 7);
        CHECK_THAT(r.error->reason, Catch::Contains("policy key length 4 at byte 7 runs past"));
    }
    SECTION("device type runs past the end") {
        const EasRequestLine r =
            eas::parse_base64_query_bytes(bytes({0x8C, 0, 9, 4, 0, 0, 9, 'a'}));
        require_decoded_error(r, 6);
        CHECK_THAT(r.error->reason,
                   Catch::Contains("device type length 9 at byte 6 runs past the end of the "
                                   "8-byte query"));
    }
    SECTION("parameter tag without a length byte") {
        const EasRequestLine r = eas::parse_base64_query_bytes(header() + bytes({3}));
        require_decoded_error(r, 16);
        CHECK_THAT(r.error->reason,
                   Catch::Contains("ItemId (tag 3) at byte 16 has no length byte"));
    }
    SECTION("the same errors through the text form") {
        const EasRequestLine r = eas::parse_request_line(query_of(full.substr(0, 10)));
        require_decoded_error(r, 10);
        CHECK(r.form == QueryForm::Base64);
        CHECK(r.device_id == "dev1");
    }
}

TEST_CASE("base64 text errors point into the query text", "[request_line]") {
    SECTION("a character outside the alphabet") {
        const EasRequestLine r = eas::parse_request_line("/x?jAAJ!BAp2");
        REQUIRE(r.error);
        CHECK_FALSE(r.error->in_decoded_query);
        CHECK(r.error->offset == 7);
        CHECK_THAT(r.error->reason, Catch::Contains("'!' at character 7"));
        CHECK(r.form == QueryForm::Base64);
        CHECK(r.path == "/x");
    }
    SECTION("control bytes are named by value") {
        const EasRequestLine r =
            eas::parse_request_line(std::string("ab\x01"
                                                "c",
                                                4));
        REQUIRE(r.error);
        CHECK(r.error->offset == 2);
        CHECK_THAT(r.error->reason, Catch::Contains("byte 0x01"));
    }
    SECTION("a space, most likely a '+' decoded by something on the way") {
        // Capitals before a space must not be taken for an HTTP method.
        const EasRequestLine r = eas::parse_request_line("JQAJ BAp2");
        CHECK(r.method.empty());
        REQUIRE(r.error);
        CHECK(r.error->offset == 4);
        CHECK_THAT(r.error->reason, Catch::Contains("byte 0x20 at character 4"));
        CHECK_THAT(r.error->reason, Catch::Contains("'+' turned into a space"));
    }
    SECTION("broken percent escape") {
        const EasRequestLine r = eas::parse_request_line("?jAAJ%2");
        REQUIRE(r.error);
        CHECK(r.error->offset == 5);
        CHECK_FALSE(r.error->in_decoded_query);
    }
    SECTION("a lone trailing character") {
        const EasRequestLine r = eas::parse_request_line("?jAAJB");
        REQUIRE(r.error);
        CHECK(r.error->offset == 6);
        CHECK_THAT(r.error->reason, Catch::Contains("lone character"));
    }
    SECTION("data after percent-encoded padding") {
        const EasRequestLine r = eas::parse_request_line("?abc%3Dd");
        REQUIRE(r.error);
        CHECK(r.error->offset == 7);
        CHECK_THAT(r.error->reason, Catch::Contains("after '=' padding"));
    }
    SECTION("too much padding") {
        const EasRequestLine r = eas::parse_request_line("?ab===");
        REQUIRE(r.error);
        CHECK(r.error->offset == 5);
    }
}

TEST_CASE("encoder round-trips through the decoder", "[request_line]") {
    EasRequestLine in;
    in.protocol_version = "16.1";
    in.command = "SmartForward";
    in.locale = 0x0411;
    in.device_id = "00ff10ab";
    in.binary_device_id = true;
    in.policy_key = 3942784123u;
    in.device_type = "WindowsMail";
    in.parameters = {{"CollectionId", "5"},   {"ItemId", "5:12"},
                     {"LongId", "RgAAAA"},    {"Occurrence", "2024-01-01"},
                     {"AttachmentName", "x"}, {"CollectionName", "c"},
                     {"ParentId", "p"},       {"tag 42", "raw"}};
    in.save_in_sent = true;
    in.accept_multipart = false;
    in.user = "CONTOSO\\jane";

    std::string why;
    const std::string text = eas::encode_base64_query(in, &why);
    REQUIRE_FALSE(text.empty());
    CHECK(why.empty());
    CHECK(text.find_first_of("+/=") == std::string::npos);

    const EasRequestLine out = eas::parse_request_line("/Microsoft-Server-ActiveSync?" + text);
    CHECK(out.form == QueryForm::Base64);
    CHECK(out.protocol_version == in.protocol_version);
    CHECK(out.command == "SmartForward");
    CHECK(out.command_code == 2);
    CHECK(out.locale == in.locale);
    CHECK(out.device_id == in.device_id);
    CHECK(out.binary_device_id);
    CHECK(out.policy_key == in.policy_key);
    CHECK(out.device_type == in.device_type);
    CHECK(out.parameters == in.parameters);
    CHECK(out.save_in_sent == true);
    CHECK(out.accept_multipart == false);
    CHECK(out.user == in.user);
    // the only warning is the deliberately unknown tag 42
    REQUIRE(out.warnings.size() == 1);
    CHECK_THAT(out.warnings[0], Catch::Contains("tag 42"));
}

TEST_CASE("a plain query converts to the base64 form", "[request_line]") {
    EasRequestLine plain = eas::parse_request_line(
        "Cmd=SmartReply&User=u&DeviceId=DEV&DeviceType=Phone&CollectionId=3&ItemId=3%3A9&"
        "SaveInSent=T");
    REQUIRE(plain.ok());
    plain.protocol_version = "14.0";
    const EasRequestLine again = eas::parse_request_line(eas::encode_base64_query(plain));
    CHECK(again.ok());
    CHECK(again.command == "SmartReply");
    CHECK(again.user == "u");
    CHECK(again.device_id == "DEV");
    CHECK(again.device_type == "Phone");
    CHECK(again.parameters == plain.parameters);
    CHECK(again.save_in_sent == true);
    CHECK(again.locale == 0x0409);  // the encoder's default
    CHECK_FALSE(again.policy_key.has_value());
}

TEST_CASE("encoder refuses what the base64 form cannot carry", "[request_line]") {
    EasRequestLine good;
    good.protocol_version = "14.1";
    good.command = "Sync";
    good.device_id = "d";
    good.device_type = "t";
    REQUIRE_FALSE(eas::encode_base64_query(good).empty());

    auto refused = [](const EasRequestLine& r, const std::string& expected) {
        std::string why;
        CHECK(eas::encode_base64_query(r, &why).empty());
        CHECK_THAT(why, Catch::Contains(expected));
    };
    EasRequestLine r = good;
    r.protocol_version.reset();
    refused(r, "no protocol version");
    for (const char* bad : {"14", "14.10", "x.1", "26.0", ".1", "1.", "100.0"}) {
        INFO(bad);
        r = good;
        r.protocol_version = bad;
        refused(r, "is not a version");
    }
    r = good;
    r.command = "GetHierarchy";
    refused(r, "no base64 command code");
    r = good;
    r.command_code = 256;
    refused(r, "does not fit a byte");
    r = good;
    r.device_id = std::string(256, 'x');
    refused(r, "device id is longer than 255");
    r = good;
    r.device_id = "zz";
    r.binary_device_id = true;
    refused(r, "not hex");
    r = good;
    r.device_type = std::string(256, 't');
    refused(r, "device type is longer");
    r = good;
    r.user = std::string(256, 'u');
    refused(r, "user is longer");
    r = good;
    r.parameters = {{"Foo", "bar"}};
    refused(r, "'Foo' has no base64 tag");
    r = good;
    r.parameters = {{"tag 256", "bar"}};
    refused(r, "no base64 tag");
    r = good;
    r.parameters = {{"ItemId", std::string(256, 'i')}};
    refused(r, "ItemId is longer");

    // Without an error pointer it still refuses quietly.
    r = good;
    r.command = "";
    CHECK(eas::encode_base64_query(r).empty());

    // 255-byte fields are the limit, not an error.
    r = good;
    r.device_id = std::string(255, 'x');
    r.user = std::string(255, 'u');
    const EasRequestLine back = eas::parse_request_line(eas::encode_base64_query(r));
    CHECK(back.ok());
    CHECK(back.device_id == r.device_id);
    CHECK(back.user == r.user);
}

TEST_CASE("JSON rendering", "[request_line]") {
    const nlohmann::json j = eas::to_json(eas::parse_request_line(
        "/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l"));
    CHECK(j["form"] == "base64");
    CHECK(j["path"] == "/Microsoft-Server-ActiveSync");
    CHECK(j["command"] == "Sync");
    CHECK(j["command_code"] == 0);
    CHECK(j["protocol_version"] == "14.0");
    CHECK(j["locale"] == 0x0409);
    CHECK(j["device_id"] == "v140Device");
    CHECK(j["device_type"] == "SmartPhone");
    CHECK(j["parameters"].is_array());
    CHECK(j["warnings"].empty());
    CHECK_FALSE(j.contains("error"));
    CHECK_FALSE(j.contains("policy_key"));
    CHECK_FALSE(j.contains("binary_device_id"));

    const std::string line =
        "POST /Microsoft-Server-ActiveSync?Cmd=Sync&User=%FF%FE&DeviceId=%C3%A9&DeviceType=t&"
        "X=%&SaveInSent=F HTTP/1.1";
    const EasRequestLine bad = eas::parse_request_line(line);
    nlohmann::json b;
    REQUIRE_NOTHROW(b = eas::to_json(bad));
    std::string dumped;
    REQUIRE_NOTHROW(dumped = b.dump());
    CHECK(b["method"] == "POST");
    CHECK(b["user"] == "\\xff\\xfe");
    CHECK(b["device_id"] == "\xC3\xA9");  // valid UTF-8 passes through
    CHECK(b["save_in_sent"] == false);
    REQUIRE(b["parameters"].size() == 1);
    CHECK(b["parameters"][0]["name"] == "X");
    CHECK(b["parameters"][0]["value"] == "%");
    REQUIRE(b.contains("error"));
    CHECK(b["error"]["in_decoded_query"] == false);
    CHECK(b["error"]["offset"] == line.find("X=%") + 2);

    // The two-argument form lets nlohmann convert implicitly.
    const nlohmann::json implicit = eas::parse_base64_query_bytes(
        bytes({0x8C, 0, 9, 4, 2, 0xC0, 0x80, 4, 1, 0, 0, 0, 1, 0xED}));
    CHECK(implicit["binary_device_id"] == true);
    CHECK(implicit["device_id"] == "c080");
    CHECK(implicit["policy_key"] == 1);
    CHECK(implicit["device_type"] == "\\xed");
    CHECK(implicit["warnings"].size() == 1);
    CHECK_NOTHROW(implicit.dump());
}
