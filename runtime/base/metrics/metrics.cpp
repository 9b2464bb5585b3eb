#include "runtime/base/metrics/metrics.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <type_traits>
#include <utility>

#include "runtime/base/metrics/exposition.hpp"

namespace aragora::metrics {

std::string_view to_string(metrics_errc x) {
  switch (x) {
    case metrics_errc::bad_name: return "metrics_bad_name";
    case metrics_errc::bad_label_name: return "metrics_bad_label_name";
    case metrics_errc::duplicate_name: return "metrics_duplicate_name";
    case metrics_errc::bad_buckets: return "metrics_bad_buckets";
  }
  return "metrics_unknown";
}

namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// name{a="x",b="y"}, or name alone without labels; `le` is a histogram bucket's extra label.
void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<std::string>& label_names,
                   const std::vector<std::string>& values, const double* le = nullptr) {
  out += name;
  out += suffix;
  if (label_names.empty() && le == nullptr) return;
  out += '{';
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (le != nullptr) {
    if (!label_names.empty()) out += ',';
    out += "le=\"";
    append_value(out, *le);
    out += '"';
  }
  out += '}';
}

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& ln,
                  const std::vector<std::string>& values, const counter& c) {
  append_series(out, name, {}, ln, values);
  out += ' ';
  // Whole increments stay exact past 2^53 unless fractions were added too.
  if (c.fraction() == 0) {
    out += std::to_string(c.whole());
  } else {
    append_value(out, c.value());
  }
  out += '\n';
}

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& ln,
                  const std::vector<std::string>& values, const gauge& g) {
  append_series(out, name, {}, ln, values);
  out += ' ';
  append_value(out, g.value());
  out += '\n';
}

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& ln,
                  const std::vector<std::string>& values, const histogram& h) {
  auto bounds = h.bounds();
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += h.bucket(i);
    double le = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
    append_series(out, name, "_bucket", ln, values, &le);
    out += ' ';
    out += std::to_string(cumulative);
    out += '\n';
  }
  append_series(out, name, "_sum", ln, values);
  out += ' ';
  append_value(out, h.sum());
  out += '\n';
  // The +Inf bucket read above, so _count and the buckets agree even while observations land.
  append_series(out, name, "_count", ln, values);
  out += ' ';
  out += std::to_string(cumulative);
  out += '\n';
}

std::string_view type_name(detail::metric_type t) {
  switch (t) {
    case detail::metric_type::counter: return "counter";
    case detail::metric_type::gauge: return "gauge";
    case detail::metric_type::histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_letter(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_letter(c) || is_digit(c) || c == ':'; });
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !is_letter(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_letter(c) || is_digit(c); });
}

// -- children -------------------------------------------------------------------------------

double counter::value() const noexcept {
  return static_cast<double>(whole()) + fraction();
}

namespace {

constexpr size_t cells_per_line = 64 / sizeof(std::atomic<uint64_t>);

size_t this_threads_shard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed) % histogram::shard_count;
  return mine;
}

}  // namespace

histogram::histogram(std::span<const double> bounds)
    : bounds_(bounds),
      stride_((bounds.size() + 2 + cells_per_line - 1) / cells_per_line * cells_per_line),
      storage_(std::make_unique<std::atomic<uint64_t>[]>(shard_count * stride_ + cells_per_line)) {
  auto at = reinterpret_cast<uintptr_t>(storage_.get());
  cells_ = storage_.get() + ((64 - at % 64) % 64) / sizeof(std::atomic<uint64_t>);
  for (size_t i = 0; i < shard_count * stride_; ++i) cells_[i].store(0, std::memory_order_relaxed);
  for (size_t s = 0; s < shard_count; ++s)
    shard(s)[bounds_.size() + 1].store(std::bit_cast<uint64_t>(0.0), std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
  // The first bound >= v; `!(v <= b)` rather than `b < v` sends a NaN past every bound (+Inf).
  auto it = std::partition_point(bounds_.begin(), bounds_.end(),
                                 [v](double b) { return !(v <= b); });
  auto* cells = shard(this_threads_shard());
  cells[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  auto& sum = cells[bounds_.size() + 1];
  auto old = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(old, std::bit_cast<uint64_t>(std::bit_cast<double>(old) + v),
                                    std::memory_order_relaxed)) {
  }
}

uint64_t histogram::bucket(size_t i) const noexcept {
  uint64_t n = 0;
  for (size_t s = 0; s < shard_count; ++s) n += shard(s)[i].load(std::memory_order_relaxed);
  return n;
}

double histogram::sum() const noexcept {
  double total = 0;
  for (size_t s = 0; s < shard_count; ++s)
    total += std::bit_cast<double>(shard(s)[bounds_.size() + 1].load(std::memory_order_relaxed));
  return total;
}

uint64_t histogram::count() const noexcept {
  uint64_t n = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) n += bucket(i);
  return n;
}

// -- families -------------------------------------------------------------------------------

namespace detail {

family_base::family_base(metric_type type, std::string name, std::string help,
                         std::vector<std::string> label_names, size_t max_children)
    : type_(type), name_(std::move(name)), help_(std::move(help)),
      label_names_(std::move(label_names)), max_children_(max_children) {}

std::vector<std::string> family_base::key_of(std::initializer_list<std::string_view> values,
                                             bool& wrong_size) const {
  wrong_size = values.size() != label_names_.size();
  if (wrong_size) return overflow_key();
  std::vector<std::string> key;
  key.reserve(values.size());
  for (auto v : values) key.push_back(clean_label_value(v, defaults::metrics_max_label_bytes));
  return key;
}

std::vector<std::string> family_base::overflow_key() const {
  return std::vector<std::string>(label_names_.size(), std::string{overflow_label_value});
}

void family_base::render_header(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_help(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_name(type_);
  out += '\n';
}

}  // namespace detail

template <class Child>
family<Child>::family(detail::metric_type type, std::string name, std::string help,
                      std::vector<std::string> label_names, size_t max_children,
                      std::vector<double> bounds)
    : family_base(type, std::move(name), std::move(help), std::move(label_names), max_children),
      bounds_(std::move(bounds)) {}

template <class Child>
Child& family<Child>::with(std::initializer_list<std::string_view> values) {
  bool wrong_size = false;
  auto key = key_of(values, wrong_size);
  if (wrong_size) overflowed_.fetch_add(1, std::memory_order_relaxed);
  return find_or_make(std::move(key));
}

template <class Child>
Child& family<Child>::find_or_make(std::vector<std::string> key) {
  std::lock_guard lock(mu_);
  if (auto it = children_.find(key); it != children_.end()) return *it->second;
  auto overflow = overflow_key();
  if (key != overflow) {
    size_t regular = children_.size() - children_.count(overflow);
    if (regular >= max_children_) {
      overflowed_.fetch_add(1, std::memory_order_relaxed);
      key = std::move(overflow);
      if (auto it = children_.find(key); it != children_.end()) return *it->second;
    }
  }
  std::unique_ptr<Child> child;
  if constexpr (std::is_same_v<Child, histogram>)
    child = std::make_unique<histogram>(std::span<const double>(bounds_));
  else
    child = std::make_unique<Child>();
  auto& ref = *child;
  children_.emplace(std::move(key), std::move(child));
  return ref;
}

template <class Child>
size_t family<Child>::size() const {
  std::lock_guard lock(mu_);
  return children_.size();
}

template <class Child>
void family<Child>::render(std::string& out) const {
  render_header(out);
  std::lock_guard lock(mu_);
  for (const auto& [values, child] : children_)
    render_child(out, name_, label_names_, values, *child);
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

// -- the registry ---------------------------------------------------------------------------

template <class Child>
expected<family<Child>*, metrics_errc> registry::add(detail::metric_type type,
                                                     std::string_view name, std::string_view help,
                                                     std::vector<std::string> label_names,
                                                     size_t max_children,
                                                     std::span<const double> bounds) {
  using detail::metric_type;
  if (!valid_metric_name(name))
    return metrics_error{metrics_errc::bad_name,
                         "metric name '" + std::string{name} + "' is not [a-zA-Z_:][a-zA-Z0-9_:]*"};
  for (size_t i = 0; i < label_names.size(); ++i) {
    const auto& l = label_names[i];
    bool twice = std::find(label_names.begin(), label_names.begin() + i, l) !=
                 label_names.begin() + i;
    if (!valid_label_name(l) || twice || (type == metric_type::histogram && l == "le"))
      return metrics_error{metrics_errc::bad_label_name,
                           std::string{name} + ": label name '" + l +
                               "' is invalid, reserved or given twice"};
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i])))
      return metrics_error{metrics_errc::bad_buckets,
                           std::string{name} +
                               ": bucket bounds must be finite and strictly increasing"};
  }
  std::vector<std::string> samples{std::string{name}};
  if (type == metric_type::histogram)
    for (auto suffix : {"_bucket", "_sum", "_count"}) samples.push_back(std::string{name} + suffix);

  std::lock_guard lock(mu_);
  for (const auto& s : samples)
    if (taken_.contains(s))
      return metrics_error{metrics_errc::duplicate_name, "metric '" + s + "' already registered"};
  bool unlabelled = label_names.empty();
  auto f = std::make_unique<family<Child>>(type, std::string{name}, std::string{help},
                                           std::move(label_names), max_children,
                                           std::vector<double>(bounds.begin(), bounds.end()));
  auto* p = f.get();
  if (unlabelled) (void)p->with({});  // rendered as 0 from the first scrape
  families_.push_back(std::move(f));
  for (auto& s : samples) taken_.insert(std::move(s));
  return p;
}

expected<counter_family*, metrics_errc> registry::add_counter(std::string_view name,
                                                              std::string_view help,
                                                              std::vector<std::string> label_names,
                                                              size_t max_children) {
  return add<counter>(detail::metric_type::counter, name, help, std::move(label_names),
                      max_children, {});
}

expected<gauge_family*, metrics_errc> registry::add_gauge(std::string_view name,
                                                          std::string_view help,
                                                          std::vector<std::string> label_names,
                                                          size_t max_children) {
  return add<gauge>(detail::metric_type::gauge, name, help, std::move(label_names), max_children,
                    {});
}

expected<histogram_family*, metrics_errc> registry::add_histogram(
    std::string_view name, std::string_view help, std::span<const double> bounds,
    std::vector<std::string> label_names, size_t max_children) {
  return add<histogram>(detail::metric_type::histogram, name, help, std::move(label_names),
                        max_children, bounds);
}

std::string registry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& f : families_) f->render(out);
  return out;
}

registry& default_registry() {
  static registry r;
  return r;
}

namespace {

template <class T>
T& registered(expected<T*, metrics_errc> x, std::string_view name) {
  if (!x) {
    std::fprintf(stderr, "metrics: cannot register %.*s: %.*s\n", static_cast<int>(name.size()),
                 name.data(), static_cast<int>(to_string(x.code()).size()),
                 to_string(x.code()).data());
    std::abort();
  }
  return **x;
}

}  // namespace

counter_family& process_counter(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names) {
  return registered(default_registry().add_counter(name, help, std::move(label_names)), name);
}

gauge_family& process_gauge(std::string_view name, std::string_view help,
                            std::vector<std::string> label_names) {
  return registered(default_registry().add_gauge(name, help, std::move(label_names)), name);
}

histogram_family& process_histogram(std::string_view name, std::string_view help,
                                    std::span<const double> bounds,
                                    std::vector<std::string> label_names, size_t max_children) {
  return registered(
      default_registry().add_histogram(name, help, bounds, std::move(label_names), max_children),
      name);
}

}  // namespace aragora::metrics
