// A response body assembled from segments and produced chunk by chunk: literal bytes, a range
// of the generated attachment pattern, or that range as base64 text. ItemOperations uses it to
// send a 100 MB attachment (multipart or inline base64) with a known Content-Length while
// holding no more than one chunk in memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "request.hpp"

namespace fakecas {

class SegmentSource : public BodySource {
  public:
    void add_bytes(std::string bytes);
    void add_pattern(std::uint64_t start, std::uint64_t length);
    void add_pattern_base64(std::uint64_t start, std::uint64_t length);

    std::uint64_t size() const override { return size_; }
    std::size_t next(std::span<char> out) override;

    static std::uint64_t base64_size(std::uint64_t length) { return (length + 2) / 3 * 4; }

  private:
    struct Segment {
        enum class Kind { Bytes, Pattern, PatternBase64 } kind;
        std::string bytes;
        std::uint64_t start = 0;
        std::uint64_t length = 0;
    };
    std::vector<Segment> segments_;
    std::uint64_t size_ = 0;
    std::size_t index_ = 0;
    std::uint64_t pos_ = 0;  // bytes (raw bytes for PatternBase64) consumed of the segment
    std::string staged_;     // base64 text not yet handed out
    std::size_t staged_off_ = 0;
};

}  // namespace fakecas
