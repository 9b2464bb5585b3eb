#include "actors/debate/canonical.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace aragora::debate {

namespace {

// Below 2^32, round(x * 10^6) / 10^6 is the double r nearest to some k / 10^6, r is less than
// 2.4e-7 from it, and r * 10^6 rounds back to exactly k: rounding again changes nothing and the
// six decimals of r are the digits of k.
constexpr double fast_limit = 4294967296.0;
// From 2^33 on, doubles are more than 10^-6 apart: every one has a six-decimal text of its own.
constexpr double exact_limit = 8589934592.0;

/// "%.6f", whatever the locale.
char* print_fixed6(double x, char* out) {
  return std::to_chars(out, out + max_canonical_double_chars, x, std::chars_format::fixed, 6).ptr;
}

}  // namespace

void canonical_writer::append(std::string_view s) {
  // An empty view may have a null data pointer: memcpy from null is undefined even for 0 bytes.
  if (s.empty()) return;
  if (!hasher_) {
    out_.append(s);
    return;
  }
  if (used_ + s.size() > pending_.size()) flush();
  // Large values (message texts) are hashed where they lie, after what is buffered before them.
  if (s.size() > pending_.size() / 2) {
    flush();
    hasher_->update(s);
    return;
  }
  std::memcpy(pending_.data() + used_, s.data(), s.size());
  used_ += s.size();
}

void canonical_writer::flush() {
  if (!hasher_ || used_ == 0) return;
  hasher_->update(std::string_view{pending_.data(), used_});
  used_ = 0;
}

void canonical_writer::field(std::string_view name, std::string_view value) {
  // Most fields are short: written in one piece, with one bounds check and no intermediate copy.
  constexpr size_t max_length_digits = 20;
  auto need = name.size() + value.size() + max_length_digits + 3;
  if (hasher_ && need <= pending_.size()) {
    if (used_ + need > pending_.size()) flush();
    char* p = pending_.data() + used_;
    if (!name.empty()) std::memcpy(p, name.data(), name.size());
    p += name.size();
    *p++ = '=';
    p = std::to_chars(p, p + max_length_digits, value.size()).ptr;
    *p++ = ':';
    if (!value.empty()) std::memcpy(p, value.data(), value.size());
    p += value.size();
    *p++ = '\n';
    used_ = static_cast<size_t>(p - pending_.data());
    return;
  }
  char head[96];
  char* p = head;
  if (name.size() > 64) {
    append(name);
  } else {
    std::memcpy(p, name.data(), name.size());
    p += name.size();
  }
  *p++ = '=';
  p = std::to_chars(p, head + sizeof head - 1, value.size()).ptr;
  *p++ = ':';
  append(std::string_view{head, static_cast<size_t>(p - head)});
  append(value);
  append("\n");
}

void canonical_writer::field(std::string_view name, uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  field(name, std::string_view{digits, static_cast<size_t>(end - digits)});
}

void canonical_writer::field(std::string_view name, int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  field(name, std::string_view{digits, static_cast<size_t>(end - digits)});
}

char* format_canonical_double(double x, char* out) {
  auto r = canonical_double(x);
  if (std::fabs(r) >= fast_limit) return print_fixed6(r, out);
  // Same digits as "%.6f" of the rounded value, without printf: r is the double nearest to
  // k / 10^6, so the decimal digits are those of k.
  auto k = std::llround(r * 1e6);
  char* p = out;
  if (k < 0) {
    *p++ = '-';
    k = -k;
  }
  p = std::to_chars(p, p + 24, k / 1'000'000).ptr;
  *p++ = '.';
  auto frac = k % 1'000'000;
  for (int d = 5; d >= 0; --d, frac /= 10) p[d] = static_cast<char>('0' + frac % 10);
  return p + 6;
}

void canonical_writer::field(std::string_view name, double value) {
  char buf[max_canonical_double_chars + 1];
  auto* end = format_canonical_double(value, buf);
  field(name, std::string_view{buf, static_cast<size_t>(end - buf)});
}

void canonical_writer::field(std::string_view name, bool value) {
  field(name, std::string_view{value ? "1" : "0"});
}

double canonical_double(double x) {
  if (!std::isfinite(x)) return 0.0;
  if (std::fabs(x) >= exact_limit) return x;
  if (std::fabs(x) >= fast_limit) {
    // Doubles here are 9.5e-7 apart: the one nearest to the six-decimal text of x prints as
    // that text again.
    char buf[max_canonical_double_chars + 1];
    auto* end = print_fixed6(x, buf);
    double r = x;
    std::from_chars(buf, end, r);
    return r;
  }
  auto r = std::round(x * 1e6) / 1e6;
  return r == 0.0 ? 0.0 : r;  // no "-0.000000"
}

bool is_canonical_double(double x) {
  return std::isfinite(x) && x == canonical_double(x) && !(x == 0 && std::signbit(x));
}

double duration_ms(time_point from, time_point to) {
  return canonical_double(std::chrono::duration<double, std::milli>(to - from).count());
}

int64_t to_micros(time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

time_point from_micros(int64_t us) {
  return time_point{std::chrono::duration_cast<time_point::duration>(std::chrono::microseconds{us})};
}

size_t issue_count(std::string_view issues) {
  size_t n = 0;
  for_each_issue(issues, [&](std::string_view) { ++n; });
  return n;
}

digest message_digest(const message_fields& m) {
  crypto::sha256_hasher h;
  {
    canonical_writer w{h};
    w.field("message", "v1");
    w.field("round", uint64_t{m.round});
    w.field("phase", to_string(m.ph));
    w.field("agent", m.agent);
    w.field("target", m.target);
    w.field("at_us", static_cast<uint64_t>(m.at_us));
    w.field("text", m.text);
    if (m.ph == phase::critique) {
      w.field("severity", m.severity);
      w.field("issues", uint64_t{issue_count(m.issues)});
      for_each_issue(m.issues, [&](std::string_view issue) { w.field("issue", issue); });
    }
    if (m.ph == phase::vote || m.ph == phase::judge) w.field("confidence", m.confidence);
    w.flush();
  }
  return h.finish();
}

}  // namespace aragora::debate
