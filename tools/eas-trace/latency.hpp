// Latency percentiles in bounded memory. The first kExactSamples values are kept as they are,
// so small traces get exact nearest-rank percentiles; past that the values move into
// logarithmic buckets 1% wide (a few thousand at most from microseconds to hours), so a trace
// of millions of flows costs the same memory and the percentiles are within 1%.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace eas::trace {

class LatencySketch {
  public:
    static constexpr std::size_t kExactSamples = 4096;

    void add(double ms);
    std::uint64_t count() const { return count_; }
    std::optional<double> max() const;
    // Nearest rank: the smallest value with at least p% of the values at or below it.
    // p in (0, 100]. Nothing when empty.
    std::optional<double> percentile(double p) const;
    bool exact() const { return buckets_.empty(); }

  private:
    void to_buckets();
    void add_to_bucket(double ms);

    std::uint64_t count_ = 0;
    double max_ = 0;
    double min_ = 0;
    mutable std::vector<double> exact_;
    mutable bool sorted_ = true;
    std::map<int, std::uint64_t> buckets_;  // bucket index -> count; kZero for values <= 0
};

}  // namespace eas::trace
