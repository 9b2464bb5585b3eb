#include "actors/debate/canonical.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace aragora::debate {

void canonical_writer::append(std::string_view s) {
  // An empty view may have a null data pointer: memcpy from null is undefined even for 0 bytes.
  if (s.empty()) return;
  if (!hasher_) {
    out_.append(s);
    return;
  }
  if (used_ + s.size() > pending_.size()) flush();
  // Large values (message texts) are hashed where they lie.
  if (s.size() > pending_.size() / 2) {
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

void canonical_writer::field(std::string_view name, double value) {
  auto r = canonical_double(value);
  char buf[64];
  if (std::fabs(r) >= 1e12) {
    auto n = std::snprintf(buf, sizeof buf, "%.6f", r);
    field(name, std::string_view{buf, static_cast<size_t>(n)});
    return;
  }
  // Same digits as "%.6f" of the rounded value, without printf: r is the double nearest to
  // k / 10^6, so the decimal digits are those of k.
  auto k = std::llround(r * 1e6);
  char* p = buf;
  if (k < 0) {
    *p++ = '-';
    k = -k;
  }
  p = std::to_chars(p, buf + 40, k / 1'000'000).ptr;
  *p++ = '.';
  auto frac = k % 1'000'000;
  for (int d = 5; d >= 0; --d, frac /= 10) p[d] = static_cast<char>('0' + frac % 10);
  p += 6;
  field(name, std::string_view{buf, static_cast<size_t>(p - buf)});
}

void canonical_writer::field(std::string_view name, bool value) {
  field(name, std::string_view{value ? "1" : "0"});
}

double canonical_double(double x) {
  if (!std::isfinite(x)) return 0.0;
  auto r = std::round(x * 1e6) / 1e6;
  return r == 0.0 ? 0.0 : r;  // no "-0.000000"
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
