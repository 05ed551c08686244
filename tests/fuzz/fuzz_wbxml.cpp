// libFuzzer target: the WBXML decoder and everything that consumes its output.
// Invariants: no crash or sanitizer report; errors point inside the input; a fully decoded
// document survives XML and WBXML round trips unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wbxml_decoder.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_json_writer.hpp"
#include "wbxml_xml_reader.hpp"
#include "wbxml_xml_writer.hpp"

using namespace eas::wbxml;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto r = decode(input);
    if (r.error && r.error->offset > size) std::abort();
    const auto xml = to_xml(r.document);
    (void)to_json(r.document).dump();
    if (!r.ok()) return 0;
    const auto back = read_xml(xml);
    if (!back.ok() || !(back.document == r.document)) std::abort();
    const auto encoded = encode(r.document);
    if (!encoded.ok()) std::abort();
    const auto again = decode(encoded.bytes);
    if (!again.ok() || !(again.document == r.document)) std::abort();
    return 0;
}
