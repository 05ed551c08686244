// libFuzzer target: the XML reader behind eas-decode --encode (text pasted by users).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wbxml_decoder.hpp"
#include "wbxml_encoder.hpp"

using namespace eas::wbxml;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto r = encode_xml(input);
    if (!r.ok()) return 0;
    // Whatever the reader accepted encodes to WBXML that decodes cleanly.
    if (!decode(r.bytes).ok()) std::abort();
    return 0;
}
