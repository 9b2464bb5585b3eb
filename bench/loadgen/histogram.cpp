#include "bench/loadgen/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace aragora::loadgen {

namespace {

constexpr int sub_bits = 6;
constexpr uint64_t sub_count = uint64_t{1} << sub_bits;  // 64
constexpr size_t bucket_count = sub_count + (64 - sub_bits) * sub_count;

}  // namespace

latency_histogram::latency_histogram() : counts_(bucket_count, 0) {
}

size_t latency_histogram::bucket_of(uint64_t v) {
  if (v < sub_count) return static_cast<size_t>(v);
  int k = 63 - std::countl_zero(v);  // floor(log2 v) >= sub_bits
  int shift = k - sub_bits;
  auto sub = (v >> shift) - sub_count;
  return static_cast<size_t>(sub_count + static_cast<uint64_t>(k - sub_bits) * sub_count + sub);
}

uint64_t latency_histogram::bucket_low(size_t b) {
  if (b < sub_count) return b;
  auto rel = b - sub_count;
  auto k = rel / sub_count + sub_bits;
  auto sub = rel % sub_count;
  return (sub_count + sub) << (k - sub_bits);
}

uint64_t latency_histogram::bucket_high(size_t b) {
  if (b < sub_count) return b;
  auto rel = b - sub_count;
  auto k = rel / sub_count + sub_bits;
  auto sub = rel % sub_count;
  return ((sub_count + sub + 1) << (k - sub_bits)) - 1;
}

void latency_histogram::record(uint64_t micros) {
  ++counts_[bucket_of(micros)];
  ++count_;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
  sum_ += micros;
}

void latency_histogram::merge(const latency_histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double latency_histogram::mean() const {
  return count_ ? static_cast<double>(sum_ / count_) : 0.0;
}

uint64_t latency_histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  // The epsilon keeps 99.9 % of 1,000 at rank 999: in doubles the product is 999.0000000000001.
  auto rank =
      static_cast<uint64_t>(std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * count_ - 1e-9));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t b = 0; b < counts_.size(); ++b) {
    seen += counts_[b];
    if (seen >= rank) {
      auto mid = bucket_low(b) + (bucket_high(b) - bucket_low(b)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace aragora::loadgen
