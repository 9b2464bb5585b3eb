#include "net/llm/retry_policy.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace aragora::llm {

namespace {

// Only the error code says a quota is spent: free text such as "you exceeded your current quota"
// also comes with per-minute limits that a retry does get past.
bool says_quota(std::string_view body) {
  return body.find("insufficient_quota") != std::string_view::npos;
}

}  // namespace

next_step after_status(unsigned status, std::string_view body) {
  if (status == 401 || status == 403 || status == 402) return next_step::next_provider;
  if (status == 429) return says_quota(body) ? next_step::next_provider : next_step::retry;
  if (status == 408 || status == 409 || (status >= 500 && status <= 599)) return next_step::retry;
  return next_step::fail;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v,
                                                          std::chrono::system_clock::time_point now,
                                                          std::chrono::milliseconds cap) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (v.front() >= '0' && v.front() <= '9') {
    double seconds = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (ec != std::errc{} || end != v.data() + v.size() || !std::isfinite(seconds)) return std::nullopt;
    auto ms = std::chrono::milliseconds{static_cast<int64_t>(std::min(seconds * 1000.0, 1e12))};
    return std::min(ms, cap);
  }
  // IMF-fixdate: "Wed, 21 Oct 2015 07:28:00 GMT" (the C locale's day and month names: the
  // process never sets another). The obsolete RFC 850 and asctime forms are not read.
  std::tm tm{};
  std::string s{v};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
  return std::clamp(wait, std::chrono::milliseconds{0}, cap);
}

std::chrono::milliseconds backoff(uint32_t attempt, uint64_t random,
                                  std::optional<std::chrono::milliseconds> retry_after,
                                  const backoff_params& p) {
  auto shift = std::min<uint32_t>(attempt == 0 ? 0 : attempt - 1, 20);
  auto ceiling = std::min<int64_t>(p.cap.count(), p.base.count() << shift);
  auto wait = std::chrono::milliseconds{ceiling > 0 ? static_cast<int64_t>(random % (static_cast<uint64_t>(ceiling) + 1)) : 0};
  if (retry_after) wait = std::max(wait, *retry_after);
  return wait;
}

}  // namespace aragora::llm
