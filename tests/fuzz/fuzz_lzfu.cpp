// libFuzzer target: decompress_rtf stays within its output bounds, only succeeds on a payload
// whose CRC it checked, and gives stored (MELA) bodies back byte for byte; rtf_to_text stays
// within its limit on anything, including what decompression produced.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lzfu.hpp"

namespace {

std::string le32(std::uint32_t v) {
    std::string s;
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    constexpr std::size_t kMax = 1 << 16;

    const eas::LzfuResult r = eas::decompress_rtf(input, kMax);
    if (r.rtf.size() > kMax) std::abort();
    if (r.error && r.error->offset > size) std::abort();
    if (r.header && r.compressed && r.rtf.size() > r.header->raw_size) std::abort();
    if (r.ok() && r.compressed && (!r.crc_checked || r.computed_crc != r.header->crc)) std::abort();
    if (size >= 16 && !r.header) std::abort();

    // The same bytes behind a valid LZFu header: the CRC matches, decoding is bounded.
    const std::string packed = le32(static_cast<std::uint32_t>(size + 12)) + le32(0xFFFFFFFFu) +
                               le32(eas::kLzfuCompressed) + le32(eas::rtf_crc32(input)) +
                               std::string(input);
    const eas::LzfuResult c = eas::decompress_rtf(packed, kMax);
    if (!c.crc_checked || c.computed_crc != eas::rtf_crc32(input)) std::abort();
    if (c.rtf.size() > kMax || c.rtf.size() > size / 17 * 136 + 136) std::abort();

    // Stored bodies come back as they are.
    const std::string stored = le32(static_cast<std::uint32_t>(size + 12)) +
                               le32(static_cast<std::uint32_t>(size)) +
                               le32(eas::kLzfuUncompressed) + le32(0) + std::string(input);
    const eas::LzfuResult s = eas::decompress_rtf(stored, size + 1);
    if (!s.ok() || s.rtf != input || !s.warnings.empty()) std::abort();

    for (std::string_view rtf : {input, std::string_view(c.rtf)}) {
        const eas::RtfText t = eas::rtf_to_text(rtf, 1000);
        if (t.text.size() > 1000) std::abort();
    }
    return 0;
}
