#include "body_source.hpp"

#include <algorithm>
#include <cstring>

#include "base64.hpp"

namespace fakecas {

namespace {
// Raw bytes encoded per base64 block: a multiple of 3, so blocks concatenate without padding.
constexpr std::uint64_t kBase64Block = 3 * 16384;
}  // namespace

void SegmentSource::add_bytes(std::string bytes) {
    size_ += bytes.size();
    segments_.push_back({Segment::Kind::Bytes, std::move(bytes), 0, 0});
}

void SegmentSource::add_pattern(std::uint64_t start, std::uint64_t length) {
    size_ += length;
    segments_.push_back({Segment::Kind::Pattern, {}, start, length});
}

void SegmentSource::add_pattern_base64(std::uint64_t start, std::uint64_t length) {
    size_ += base64_size(length);
    segments_.push_back({Segment::Kind::PatternBase64, {}, start, length});
}

std::size_t SegmentSource::next(std::span<char> out) {
    std::size_t written = 0;
    while (written < out.size() && index_ < segments_.size()) {
        const Segment& s = segments_[index_];
        const std::size_t room = out.size() - written;
        bool done = false;
        switch (s.kind) {
            case Segment::Kind::Bytes: {
                const auto n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(room, s.bytes.size() - pos_));
                std::memcpy(out.data() + written, s.bytes.data() + pos_, n);
                pos_ += n;
                written += n;
                done = pos_ == s.bytes.size();
                break;
            }
            case Segment::Kind::Pattern: {
                const auto n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(room, s.length - pos_));
                for (std::size_t i = 0; i < n; ++i) {
                    out[written + i] = static_cast<char>(pattern_byte(s.start + pos_ + i));
                }
                pos_ += n;
                written += n;
                done = pos_ == s.length;
                break;
            }
            case Segment::Kind::PatternBase64: {
                if (staged_off_ == staged_.size() && pos_ < s.length) {
                    const auto raw_n =
                        static_cast<std::size_t>(std::min(kBase64Block, s.length - pos_));
                    std::string raw(raw_n, '\0');
                    for (std::size_t i = 0; i < raw_n; ++i)
                        raw[i] = static_cast<char>(pattern_byte(s.start + pos_ + i));
                    staged_ = eas::base64_encode(raw);
                    staged_off_ = 0;
                    pos_ += raw_n;
                }
                const std::size_t n = std::min(room, staged_.size() - staged_off_);
                std::memcpy(out.data() + written, staged_.data() + staged_off_, n);
                staged_off_ += n;
                written += n;
                done = pos_ == s.length && staged_off_ == staged_.size();
                break;
            }
        }
        if (done) {
            ++index_;
            pos_ = 0;
            staged_.clear();
            staged_off_ = 0;
        }
    }
    return written;
}

}  // namespace fakecas
