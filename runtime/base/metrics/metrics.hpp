#pragma once
// Prometheus metrics: counters, gauges and histograms, grouped in families that declare a fixed
// set of label names, rendered by a registry in the text exposition format 0.0.4 (GET /metrics).
//
// The hot path is one relaxed atomic add: a caller asks a family once for the child of a tuple
// of label values (`with`, under the family's lock) and keeps the reference; children live as
// long as the registry and never move. Increments may come from any thread.
//
// Cardinality is bounded: past `max_children` tuples a family hands out one shared overflow
// child whose every label is "other", and cuts long values, so a caller that passes raw URL
// paths or agent names cannot grow memory (or a scrape) without bound.
//
// A leaf: runtime/base and the standard library only.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/defaults.hpp"
#include "runtime/base/error/error.hpp"

namespace aragora::metrics {

/// Stable codes: a registration that is refused says which.
enum class metrics_errc : uint8_t {
  bad_name = 1,    // not [a-zA-Z_:][a-zA-Z0-9_:]*
  bad_label_name,  // not [a-zA-Z_][a-zA-Z0-9_]*, reserved ("__...", a histogram's "le"), or twice
  duplicate_name,  // a name (or a histogram's _bucket / _sum / _count) already registered
  bad_buckets,     // histogram bounds not finite and strictly increasing
};

[[nodiscard]] std::string_view to_string(metrics_errc x);

using metrics_error = error<metrics_errc>;

/// The value of every label of a family's overflow child.
inline constexpr std::string_view overflow_label_value = "other";

/// Upper bounds (seconds) for latencies: request, send lag, store write. The capacity guide's
/// alert thresholds (0.1, 0.5, 1, 2 s) are bounds, so histogram_quantile meets them exactly
/// instead of interpolating across a wider bucket (metrics_test checks this).
inline constexpr std::array<double, 14> latency_buckets{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10};

/// Upper bounds (seconds) for whole debates; the guide's 5 and 15 minutes are bounds.
inline constexpr std::array<double, 11> debate_duration_buckets{
    1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600};

[[nodiscard]] bool valid_metric_name(std::string_view name);
[[nodiscard]] bool valid_label_name(std::string_view name);

/// Only goes up: whole increments are counted exactly as uint64, fractional ones apart.
class counter {
public:
  void inc(uint64_t n = 1) noexcept { whole_.fetch_add(n, std::memory_order_relaxed); }
  /// Ignores a negative or NaN `v`: a counter never goes down.
  void add(double v) noexcept {
    if (v > 0) fraction_.fetch_add(v, std::memory_order_relaxed);
  }

  [[nodiscard]] double value() const noexcept;
  /// The whole increments, exact beyond 2^53.
  [[nodiscard]] uint64_t whole() const noexcept { return whole_.load(std::memory_order_relaxed); }
  /// What add() added (0 when only inc() was called).
  [[nodiscard]] double fraction() const noexcept {
    return fraction_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<uint64_t> whole_{0};
  std::atomic<double> fraction_{0};
};

class gauge {
public:
  void set(double v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept { v_.fetch_add(v, std::memory_order_relaxed); }
  void sub(double v) noexcept { v_.fetch_sub(v, std::memory_order_relaxed); }
  void inc() noexcept { add(1); }
  void dec() noexcept { sub(1); }

  [[nodiscard]] double value() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> v_{0};
};

/// Counts observations per bucket (upper bounds inclusive: a value equal to a bound is in that
/// bucket) and their sum. Rendered cumulative, with +Inf; _count is the +Inf bucket, so the two
/// agree within every scrape.
class histogram {
public:
  /// `bounds` must outlive the histogram (its family's).
  explicit histogram(std::span<const double> bounds);

  /// A NaN is counted in +Inf only (and makes the sum NaN), as Prometheus clients do.
  void observe(double v) noexcept;
  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> d) noexcept {
    observe(std::chrono::duration<double>(d).count());
  }

  [[nodiscard]] std::span<const double> bounds() const noexcept { return bounds_; }
  /// Observations in bucket `i` alone (not cumulative); `i == bounds().size()` is +Inf.
  [[nodiscard]] uint64_t bucket(size_t i) const noexcept;
  [[nodiscard]] uint64_t count() const noexcept;
  [[nodiscard]] double sum() const noexcept;

  /// Threads observe into shards of their own cache lines: one shared line ping-ponged between
  /// the scheduler threads at every agent call (3.5 % of the benchmark's CPU, issue 12).
  static constexpr size_t shard_count = 8;

private:
  [[nodiscard]] std::atomic<uint64_t>* shard(size_t s) const noexcept { return cells_ + s * stride_; }

  std::span<const double> bounds_;
  size_t stride_;  // cells per shard: its buckets, then its sum's bits, rounded up to 64 bytes
  std::unique_ptr<std::atomic<uint64_t>[]> storage_;
  std::atomic<uint64_t>* cells_;  // storage_, from its first 64-byte boundary
};

namespace detail {

enum class metric_type : uint8_t { counter, gauge, histogram };

class family_base {
public:
  family_base(metric_type type, std::string name, std::string help,
              std::vector<std::string> label_names, size_t max_children);
  virtual ~family_base() = default;
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& help() const { return help_; }
  [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }

  /// HELP, TYPE and every child's samples, children sorted by their label values.
  virtual void render(std::string& out) const = 0;

protected:
  /// The key of `values`: cut to metrics_max_label_bytes, invalid UTF-8 replaced. A tuple of
  /// the wrong size (a caller's bug) is the overflow key.
  [[nodiscard]] std::vector<std::string> key_of(std::initializer_list<std::string_view> values,
                                                bool& wrong_size) const;
  [[nodiscard]] std::vector<std::string> overflow_key() const;
  void render_header(std::string& out) const;

  metric_type type_;
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  size_t max_children_;
};

}  // namespace detail

/// The children of one metric: one per tuple of label values, in the order of label_names().
template <class Child>
class family final : public detail::family_base {
public:
  family(detail::metric_type type, std::string name, std::string help,
         std::vector<std::string> label_names, size_t max_children,
         std::vector<double> bounds = {});

  /// The child of `values` (one per label name; `with({})` for an unlabelled family), created
  /// on first use. Takes a lock and may allocate: call it once and keep the reference. Past
  /// max_children new tuples, and for a tuple of the wrong size, the shared overflow child.
  [[nodiscard]] Child& with(std::initializer_list<std::string_view> values);

  /// Children held, the overflow child included once it exists.
  [[nodiscard]] size_t size() const;
  /// Requests answered with the overflow child because the family was full (or the tuple had
  /// the wrong size).
  [[nodiscard]] uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

  void render(std::string& out) const override;

private:
  [[nodiscard]] Child& find_or_make(std::vector<std::string> key);

  std::vector<double> bounds_;  // a histogram's; its children point into it
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Child>> children_;
  std::atomic<uint64_t> overflowed_{0};
};

using counter_family = family<counter>;
using gauge_family = family<gauge>;
using histogram_family = family<histogram>;

extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;

/// The families of a process, in registration order. Families and children live as long as it.
class registry {
public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// A family, or why not. An unlabelled family's one child exists at once (rendered as 0).
  [[nodiscard]] expected<counter_family*, metrics_errc> add_counter(
      std::string_view name, std::string_view help, std::vector<std::string> label_names = {},
      size_t max_children = defaults::metrics_max_children);
  [[nodiscard]] expected<gauge_family*, metrics_errc> add_gauge(
      std::string_view name, std::string_view help, std::vector<std::string> label_names = {},
      size_t max_children = defaults::metrics_max_children);
  /// `bounds`: the buckets' upper bounds, finite and strictly increasing (+Inf is implied).
  [[nodiscard]] expected<histogram_family*, metrics_errc> add_histogram(
      std::string_view name, std::string_view help, std::span<const double> bounds,
      std::vector<std::string> label_names = {},
      size_t max_children = defaults::metrics_max_children);

  /// The text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4).
  [[nodiscard]] std::string render() const;

private:
  template <class Child>
  expected<family<Child>*, metrics_errc> add(detail::metric_type type, std::string_view name,
                                             std::string_view help,
                                             std::vector<std::string> label_names,
                                             size_t max_children, std::span<const double> bounds);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<detail::family_base>> families_;
  std::set<std::string, std::less<>> taken_;  // sample names in use
};

/// The process's registry: every component registers its families here once (a function-local
/// static next to the code it measures), and `GET /metrics` renders it. One per process, as
/// Prometheus clients have, so a test that builds several nodes in one process shares them.
[[nodiscard]] registry& default_registry();

/// A family of the default registry that is registered once for the process. A name or label
/// that the registry refuses is a programming error: it aborts with the registry's reason.
[[nodiscard]] counter_family& process_counter(std::string_view name, std::string_view help,
                                              std::vector<std::string> label_names = {});
[[nodiscard]] gauge_family& process_gauge(std::string_view name, std::string_view help,
                                          std::vector<std::string> label_names = {});
[[nodiscard]] histogram_family& process_histogram(
    std::string_view name, std::string_view help, std::span<const double> bounds,
    std::vector<std::string> label_names = {},
    size_t max_children = defaults::metrics_max_children);

/// The content type of render()'s text.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace aragora::metrics
