#include "latency.hpp"

#include <algorithm>
#include <cmath>

namespace eas::trace {
namespace {

constexpr double kGrowth = 1.01;  // bucket i holds (kGrowth^(i-1), kGrowth^i]
constexpr int kZero = -100000;    // values of 0 (or below: a clock step) get a bucket of their own

int bucket_of(double ms) {
    if (ms <= 0) return kZero;
    return static_cast<int>(std::ceil(std::log(ms) / std::log(kGrowth)));
}

// The middle of a bucket (geometrically); its error is half a bucket, 0.5%.
double bucket_value(int index) {
    if (index == kZero) return 0;
    return std::pow(kGrowth, index - 0.5);
}

}  // namespace

void LatencySketch::add(double ms) {
    if (!std::isfinite(ms)) return;
    if (count_ == 0 || ms > max_) max_ = ms;
    if (count_ == 0 || ms < min_) min_ = ms;
    ++count_;
    if (buckets_.empty() && exact_.size() < kExactSamples) {
        exact_.push_back(ms);
        sorted_ = false;
        return;
    }
    if (!exact_.empty()) to_buckets();
    add_to_bucket(ms);
}

void LatencySketch::add_to_bucket(double ms) {
    ++buckets_[bucket_of(ms)];
}

void LatencySketch::to_buckets() {
    for (double v : exact_) add_to_bucket(v);
    std::vector<double>().swap(exact_);
}

std::optional<double> LatencySketch::max() const {
    if (count_ == 0) return std::nullopt;
    return max_;
}

std::optional<double> LatencySketch::percentile(double p) const {
    if (count_ == 0) return std::nullopt;
    p = std::clamp(p, 0.0, 100.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    if (buckets_.empty()) {
        if (!sorted_) {
            std::sort(exact_.begin(), exact_.end());
            sorted_ = true;
        }
        return exact_[rank - 1];
    }
    std::uint64_t seen = 0;
    for (const auto& [index, n] : buckets_) {
        seen += n;
        if (seen >= rank) return std::clamp(bucket_value(index), min_, max_);
    }
    return max_;
}

}  // namespace eas::trace
