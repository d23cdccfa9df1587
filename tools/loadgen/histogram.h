// File: tools/loadgen/histogram.h
//
// A fixed-size latency histogram for the generator's hot loop: log-linear
// buckets (32 per power of two, so a bucket is at most ~3 % wide) over
// 64-bit values, here TSC ticks. Record() is a few shifts and one
// increment; nothing allocates. Percentiles are read after the run.

#ifndef LEASEWIRE_TOOLS_LOADGEN_HISTOGRAM_H_
#define LEASEWIRE_TOOLS_LOADGEN_HISTOGRAM_H_

#include <array>
#include <bit>
#include <cstdint>

namespace leasewire::loadgen {

class Histogram {
 public:
  static constexpr int kSubBits = 5;  // 32 buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

  void Record(uint64_t v) {
    ++buckets_[Index(v)];
    ++count_;
    sum_ += v;
    if (v > max_) max_ = v;
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_;
  }

  // The upper edge of the bucket holding the q-quantile (0 < q <= 1), so
  // a percentile is never understated; 0 when empty.
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_));
    if (rank == 0) rank = 1;
    if (rank > count_) rank = count_;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += buckets_[i];
      if (seen >= rank) {
        const uint64_t edge = UpperEdge(i);
        return edge < max_ ? edge : max_;
      }
    }
    return max_;
  }

  void Merge(const Histogram& other) {
    for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    if (other.max_ > max_) max_ = other.max_;
  }

 private:
  // Values below 2 * kSub map one to one; above, the top kSubBits + 1 bits
  // choose the bucket within the value's power of two.
  static int Index(uint64_t v) {
    if (v < 2 * kSub) return static_cast<int>(v);
    const int msb = 63 - std::countl_zero(v);
    const int shift = msb - kSubBits;
    return (shift + 1) * kSub + static_cast<int>((v >> shift) & (kSub - 1));
  }
  static uint64_t UpperEdge(int index) {
    if (index < 2 * kSub) return static_cast<uint64_t>(index);
    const int shift = index / kSub - 1;
    const uint64_t mantissa = static_cast<uint64_t>(kSub + index % kSub);
    return ((mantissa + 1) << shift) - 1;
  }

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace leasewire::loadgen

#endif  // LEASEWIRE_TOOLS_LOADGEN_HISTOGRAM_H_
