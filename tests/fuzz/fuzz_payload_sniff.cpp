// libFuzzer target: sniff_payload always describes its input, reports its size, and only gives
// image dimensions for images.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "payload_sniff.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const eas::PayloadInfo info = eas::sniff_payload(input);
    if (info.size != size || info.description.empty()) std::abort();
    if ((size == 0) != (info.kind == eas::PayloadKind::Empty)) std::abort();
    const bool image = info.kind == eas::PayloadKind::Jpeg || info.kind == eas::PayloadKind::Png ||
                       info.kind == eas::PayloadKind::Gif || info.kind == eas::PayloadKind::Bmp ||
                       info.kind == eas::PayloadKind::Webp;
    if (!image && (info.width != 0 || info.height != 0)) std::abort();
    if (eas::payload_kind_name(info.kind).empty()) std::abort();
    return 0;
}
