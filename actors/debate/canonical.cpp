#include "actors/debate/canonical.hpp"

#include <cmath>
#include <cstdio>

#include "runtime/crypto/sha256.hpp"

namespace aragora::debate {

void canonical_writer::field(std::string_view name, std::string_view value) {
  out_.append(name);
  out_.push_back('=');
  out_.append(std::to_string(value.size()));
  out_.push_back(':');
  out_.append(value);
  out_.push_back('\n');
}

void canonical_writer::field(std::string_view name, uint64_t value) {
  field(name, std::string_view{std::to_string(value)});
}

void canonical_writer::field(std::string_view name, double value) {
  char buf[64];
  auto n = std::snprintf(buf, sizeof buf, "%.6f", canonical_double(value));
  field(name, std::string_view{buf, static_cast<size_t>(n)});
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

digest message_digest(const message_fields& m) {
  canonical_writer w;
  w.field("message", "v1");
  w.field("round", uint64_t{m.round});
  w.field("phase", to_string(m.ph));
  w.field("agent", m.agent);
  w.field("target", m.target);
  w.field("at_us", static_cast<uint64_t>(m.at_us));
  w.field("text", m.text);
  if (m.is_critique) {
    w.field("severity", m.severity);
    w.field("issues", uint64_t{m.issues.size()});
    for (const auto& issue : m.issues) w.field("issue", std::string_view{issue});
  }
  if (m.is_choice) w.field("confidence", m.confidence);
  return crypto::sha256(w.bytes());
}

}  // namespace aragora::debate
