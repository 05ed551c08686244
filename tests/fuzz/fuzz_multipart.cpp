// libFuzzer target: parse_multipart must only return parts that lie inside the input, agree with
// looks_like_multipart, and round-trip through build_multipart.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const eas::MultipartResult r = eas::parse_multipart(body);

    if (r.parts.size() > r.declared_count) std::abort();
    std::vector<std::string_view> views;
    for (const auto& p : r.parts) {
        if (std::uint64_t{p.offset} + p.length > size) std::abort();
        if (p.data.size() != p.length) std::abort();
        if (p.length != 0 && p.data.data() != body.data() + p.offset) std::abort();
        views.push_back(p.data);
    }
    if (r.ok() && r.parts.size() != r.declared_count) std::abort();
    if (!r.ok() && r.error->offset >= size && size >= 4) std::abort();
    if (eas::looks_like_multipart(body) && !r.ok()) std::abort();

    if (r.ok()) {
        const std::string rebuilt = eas::build_multipart(views);
        const eas::MultipartResult again = eas::parse_multipart(rebuilt);
        if (!again.ok() || again.parts.size() != r.parts.size()) std::abort();
        for (std::size_t i = 0; i < views.size(); ++i) {
            if (again.parts[i].data != views[i]) std::abort();
        }
        // Rebuilt bodies have the canonical layout, unless part 0 is empty.
        if (!views[0].empty() && !eas::looks_like_multipart(rebuilt)) std::abort();
    }
    return 0;
}
