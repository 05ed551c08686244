// eas-decode: decode an ActiveSync body (WBXML, multipart, Autodiscover), encode XML to WBXML,
// or decode an EAS request line. Exit 0 when fully decoded, 1 when the input is broken (what was
// decoded is still printed, and the message names the byte offset), 2 on usage or I/O errors.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "base64.hpp"
#include "body_decoder.hpp"
#include "request_line.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_json_writer.hpp"
#include "wbxml_xml_writer.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBroken = 1;
constexpr int kExitUsage = 2;

struct Options {
    std::string input = "-";
    bool hex = false;
    bool base64 = false;
    bool json = false;
    bool encode = false;
    bool compact = false;
    bool no_annotate = false;
    std::string from;
    std::string request_line;
    std::string content_type;
    std::string content_encoding;
    std::size_t max_inflated = 64 * 1024 * 1024;
};

bool read_input(const std::string& name, std::string& out) {
    if (name == "-") {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        out = ss.str();
        return true;
    }
    std::ifstream in(name, std::ios::binary);
    if (!in) {
        std::cerr << "eas-decode: cannot open " << name << ": " << std::strerror(errno) << "\n";
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

// --hex / --base64: turn pasted text into bytes.
bool unwrap_text(const Options& o, std::string& bytes) {
    if (!o.hex && !o.base64) return true;
    eas::Base64Error e;
    auto decoded = o.hex ? eas::hex_decode(bytes, &e) : eas::base64_decode(bytes, &e);
    if (!decoded) {
        std::cerr << "eas-decode: " << (o.hex ? "hex" : "base64") << " input: " << e.reason
                  << " at character " << e.offset << "\n";
        return false;
    }
    bytes = std::move(*decoded);
    return true;
}

int run_request_line(const Options& o) {
    const auto r = eas::parse_request_line(o.request_line);
    if (o.json) {
        std::cout << eas::to_json(r).dump(2) << "\n";
    } else {
        auto row = [](std::string_view label, std::string_view value) {
            if (!value.empty())
                std::cout << label << std::string(14 - label.size(), ' ') << value << "\n";
        };
        row("form", eas::query_form_name(r.form));
        row("method", r.method);
        row("path", r.path);
        row("command", r.command_code
                           ? r.command + " (code " + std::to_string(*r.command_code) + ")"
                           : r.command);
        row("user", r.user);
        row("device id",
            r.binary_device_id ? r.device_id + " (binary, shown as hex)" : r.device_id);
        row("device type", r.device_type);
        if (r.protocol_version) row("protocol", *r.protocol_version);
        if (r.policy_key) row("policy key", std::to_string(*r.policy_key));
        if (r.locale) {
            char lcid[16];
            std::snprintf(lcid, sizeof lcid, "0x%04X", *r.locale);
            row("locale", lcid);
        }
        if (r.save_in_sent) row("save in sent", *r.save_in_sent ? "yes" : "no");
        if (r.accept_multipart) row("multipart", *r.accept_multipart ? "yes" : "no");
        for (const auto& p : r.parameters) row(p.name, p.value);
        for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
    }
    if (r.error) {
        std::cerr << "eas-decode: request line: " << r.error->reason << " (at "
                  << (r.error->in_decoded_query ? "byte " : "character ") << r.error->offset
                  << (r.error->in_decoded_query ? " of the decoded query" : "") << ")\n";
        return kExitBroken;
    }
    return kExitOk;
}

int run_encode(const Options& o, const std::string& xml) {
    const auto r = eas::wbxml::encode_xml(xml);
    if (!r.ok()) {
        std::cerr << "eas-decode: --encode: " << r.error->reason << " (XML byte offset "
                  << r.error->offset << ")\n";
        return kExitBroken;
    }
    if (o.hex) {
        std::cout << eas::hex_encode(r.bytes) << "\n";
    } else if (o.base64) {
        std::cout << eas::base64_encode(r.bytes) << "\n";
    } else {
        if (isatty(STDOUT_FILENO)) {
            std::cerr << "eas-decode: --encode writes binary WBXML; redirect it to a file, or add "
                         "--hex or --base64\n";
            return kExitUsage;
        }
        std::cout.write(r.bytes.data(), static_cast<std::streamsize>(r.bytes.size()));
    }
    return kExitOk;
}

void print_autodiscover_text(const eas::DecodedBody& body) {
    if (body.autodiscover_request)
        std::cout << eas::to_json(*body.autodiscover_request).dump(2) << "\n";
    if (body.autodiscover_response)
        std::cout << eas::to_json(*body.autodiscover_response).dump(2) << "\n";
}

int run_decode(const Options& o, const std::string& input) {
    eas::BodyDecodeOptions bo;
    bo.content_type = o.content_type;
    bo.content_encoding = o.content_encoding;
    bo.max_inflated = o.max_inflated;
    const auto body = eas::decode_body(input, bo);

    if (o.json) {
        nlohmann::json j;
        j["kind"] = eas::body_kind_name(body.kind);
        if (!body.codings.empty()) j["content_encoding"] = body.codings;
        if (!body.notes.empty()) j["notes"] = body.notes;
        if (body.has_document) j["document"] = eas::wbxml::to_json(body.document);
        if (body.kind == eas::BodyKind::Multipart) {
            auto& parts = j["parts"] = nlohmann::json::array();
            for (const auto& p : body.multipart.parts)
                parts.push_back({{"offset", p.offset}, {"length", p.length}});
        }
        if (body.autodiscover_request)
            j["autodiscover_request"] = eas::to_json(*body.autodiscover_request);
        if (body.autodiscover_response)
            j["autodiscover_response"] = eas::to_json(*body.autodiscover_response);
        if (body.error) {
            j["error"] = {{"stage", body.error_stage},
                          {"offset", body.error->offset},
                          {"reason", body.error->reason}};
        }
        std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        for (const auto& n : body.notes) std::cerr << "eas-decode: note: " << n << "\n";
        if (body.has_document) {
            std::string xml;
            eas::wbxml::XmlWriteOptions xo;
            xo.indent = !o.compact;
            xo.annotate_status = !o.no_annotate;
            if (o.from == "client") xo.sender = eas::wbxml::XmlWriteOptions::Sender::Client;
            if (o.from == "server") xo.sender = eas::wbxml::XmlWriteOptions::Sender::Server;
            eas::wbxml::write_xml(body.document, xml, xo);
            std::cout << xml;
            if (body.error) {
                // Mark in the XML itself where decoding stopped: the output is often pasted on.
                std::string reason;
                eas::wbxml::append_escaped(reason, body.error->reason);
                std::cout << "<!-- eas-decode: " << body.error_stage << " stopped at byte offset "
                          << body.error->offset << ": " << reason << " -->\n";
            }
        }
        if (body.kind == eas::BodyKind::Multipart) {
            for (std::size_t i = 1; i < body.multipart.parts.size(); ++i) {
                const auto& p = body.multipart.parts[i];
                std::cout << "<!-- multipart part " << i << ": " << p.length << " bytes at offset "
                          << p.offset << " -->\n";
            }
        }
        print_autodiscover_text(body);
        if (body.kind == eas::BodyKind::Empty) std::cerr << "eas-decode: the input is empty\n";
        if (body.kind == eas::BodyKind::Other || body.kind == eas::BodyKind::Xml ||
            body.kind == eas::BodyKind::Rfc822) {
            std::cerr << "eas-decode: the input is " << eas::body_kind_name(body.kind)
                      << ", not WBXML; nothing to decode (" << input.size() << " bytes)\n";
        }
    }
    if (body.error) {
        std::cerr << "eas-decode: " << body.error_stage << ": stopped at byte offset "
                  << body.error->offset << ": " << body.error->reason << "\n";
        return kExitBroken;
    }
    const bool decoded =
        body.has_document || body.autodiscover_request || body.autodiscover_response;
    return decoded ? kExitOk : kExitBroken;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{
        "Decode Exchange ActiveSync bodies and request lines.\n\n"
        "Reads a WBXML body (or a multipart ItemOperations response, or an Autodiscover XML body)\n"
        "and prints it as XML with every element in its code page's namespace, or as JSON.\n"
        "gzip/deflate bodies are inflated first. A broken document prints what was decoded and\n"
        "exits 1 with a message naming the byte offset.\n\n"
        "Examples:\n"
        "  eas-decode capture.wbxml\n"
        "  xxd -p body.bin | eas-decode --hex -\n"
        "  eas-decode --json response.wbxml\n"
        "  eas-decode --encode --hex request.xml\n"
        "  eas-decode --request-line "
        "'/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l'\n",
        "eas-decode"};
    app.add_option("FILE", o.input, "Input file, or - for standard input")->capture_default_str();
    auto* hex = app.add_flag("--hex", o.hex,
                             "Input is hex text (xxd -p, Wireshark hex); with --encode, print hex");
    app.add_flag("--base64", o.base64, "Input is base64 text; with --encode, print base64")
        ->excludes(hex);
    app.add_flag("--json", o.json, "Print JSON instead of XML");
    app.add_flag("--compact", o.compact, "XML without indentation");
    app.add_flag(
        "--no-annotate", o.no_annotate,
        "No <!-- meaning --> comments after Status elements (XML parsers ignore them anyway)");
    app.add_option("--from", o.from,
                   "Who sent the body: client or server (words for Provision acknowledgements)")
        ->check(CLI::IsMember({"client", "server"}));
    app.add_flag("--encode", o.encode, "Read XML, write WBXML (binary unless --hex or --base64)");
    app.add_option(
        "--request-line", o.request_line,
        "Decode an EAS request target or query (plain or base64 form) instead of a body");
    app.add_option(
        "--content-type", o.content_type,
        "Content-Type of the body, e.g. application/vnd.ms-sync.multipart (default: sniff)");
    app.add_option("--content-encoding", o.content_encoding,
                   "Content-Encoding of the body: gzip, deflate (default: sniff gzip/zlib)");
    app.add_option("--max-inflated", o.max_inflated, "Limit on the inflated body size in bytes")
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }

    if (!o.request_line.empty()) return run_request_line(o);

    if (o.input == "-" && isatty(STDIN_FILENO)) {
        std::cerr << "eas-decode: reading from the terminal; pipe a body in or name a FILE (--help "
                     "for more)\n";
    }
    std::string input;
    if (!read_input(o.input, input)) return kExitUsage;
    if (o.encode) return run_encode(o, input);
    if (!unwrap_text(o, input)) return kExitUsage;
    return run_decode(o, input);
}
