#pragma once
// A log-linear histogram of microsecond values: exact below 64 µs, within 1/64 (1.6 %) above,
// fixed size whatever the count, so an hour-long benchmark keeps its percentiles.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace aragora::loadgen {

class latency_histogram {
public:
  latency_histogram();

  void record(uint64_t micros);
  void merge(const latency_histogram& other);

  [[nodiscard]] uint64_t count() const { return count_; }
  [[nodiscard]] uint64_t min() const { return count_ ? min_ : 0; }
  [[nodiscard]] uint64_t max() const { return max_; }
  [[nodiscard]] double mean() const;

  /// The value at rank ceil(p/100 * count), reported as the middle of its bucket and clamped to
  /// [min, max]; 0 when empty.
  [[nodiscard]] uint64_t percentile(double p) const;

  [[nodiscard]] static std::size_t bucket_of(uint64_t v);
  [[nodiscard]] static uint64_t bucket_low(std::size_t bucket);
  [[nodiscard]] static uint64_t bucket_high(std::size_t bucket);

private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace aragora::loadgen
