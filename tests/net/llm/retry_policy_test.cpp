// What a failed provider call leads to, and the waits between attempts (label unit).

#include <gtest/gtest.h>

#include "net/llm/retry_policy.hpp"

namespace aragora::llm {
namespace {

using namespace std::chrono_literals;

TEST(RetryPolicy, StatusesLeadToRetryNextProviderOrFail) {
  for (unsigned s : {408u, 409u, 429u, 500u, 502u, 503u, 504u, 529u})
    EXPECT_EQ(after_status(s, "{}"), next_step::retry) << s;
  for (unsigned s : {401u, 402u, 403u}) EXPECT_EQ(after_status(s, "{}"), next_step::next_provider) << s;
  EXPECT_EQ(after_status(429, R"({"error":{"code":"insufficient_quota"}})"), next_step::next_provider);
  // A per-minute limit worded as a quota is still worth the wait.
  EXPECT_EQ(after_status(429, R"({"error":{"message":"You exceeded your current quota, retry in 20s"}})"),
            next_step::retry);
  for (unsigned s : {400u, 404u, 413u, 422u}) EXPECT_EQ(after_status(s, "{}"), next_step::fail) << s;
}

TEST(RetryPolicy, RetryAfterInSecondsOrAsAnHttpDate) {
  auto now = std::chrono::system_clock::from_time_t(1445412470);  // Wed, 21 Oct 2015 07:27:50 GMT
  EXPECT_EQ(parse_retry_after("3", now), 3000ms);
  EXPECT_EQ(parse_retry_after(" 0.5 ", now), 500ms);
  EXPECT_EQ(parse_retry_after("\t2\t", now), 2000ms);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 10000ms);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), 0ms);  // past: no wait
  EXPECT_EQ(parse_retry_after("86400", now), 120000ms);                      // capped
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("3s", now));
  EXPECT_FALSE(parse_retry_after("nan", now));
}

TEST(RetryPolicy, BackoffIsFullJitterUnderADoublingCeilingAndHonoursRetryAfter) {
  backoff_params p{100ms, 1000ms};
  for (uint64_t r : {0ull, 1ull, 99ull, 12345678901ull, ~0ull}) {
    EXPECT_LE(backoff(1, r, std::nullopt, p), 100ms);
    EXPECT_LE(backoff(2, r, std::nullopt, p), 200ms);
    EXPECT_LE(backoff(9, r, std::nullopt, p), 1000ms);
    EXPECT_GE(backoff(1, r, 750ms, p), 750ms);
  }
  EXPECT_EQ(backoff(3, 400, std::nullopt, p), 400ms);  // 400 % 401
  EXPECT_EQ(backoff(3, 401, std::nullopt, p), 0ms);
  EXPECT_EQ(backoff(100, 1000, std::nullopt, p), 1000ms);  // no overflow far out
}

}  // namespace
}  // namespace aragora::llm
