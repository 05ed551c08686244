// libFuzzer target: inflate_body must never crash, hang or exceed its output bound, whatever the
// bytes and whichever coding the header claims.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "content_encoding.hpp"

namespace {

constexpr std::size_t kLimit = 1 << 20;

void check(const eas::InflateResult& r) {
    if (r.body.size() > kLimit) std::abort();
    if (r.error && r.error->reason.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    check(eas::inflate_body(body, "gzip", kLimit));
    check(eas::inflate_body(body, "deflate", kLimit));
    // Two layers exercise the hand-over of a partial first step to the second.
    check(eas::inflate_body(body, "gzip, deflate", kLimit));
    // What decodes must survive re-encoding: the compressors are used by the simulated server.
    const auto g = eas::inflate_body(body, "gzip", kLimit);
    if (g.ok()) {
        const auto again = eas::inflate_body(eas::gzip_compress(g.body), "gzip", kLimit);
        if (!again.ok() || again.body != g.body) std::abort();
    }
    return 0;
}
