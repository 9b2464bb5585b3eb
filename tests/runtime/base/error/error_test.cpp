#include "runtime/base/error/error.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace demo {

enum class demo_errc : uint8_t { first = 1, second };

std::string_view to_string(demo_errc x) {
  switch (x) {
    case demo_errc::first: return "demo_first";
    case demo_errc::second: return "demo_second";
  }
  return "demo_unknown";
}

using demo_error = aragora::error<demo_errc>;
template <class T>
using demo_result = aragora::expected<T, demo_errc>;

// A module that carries one more field keeps the carrier: its error derives from error<Errc>.
struct wide_error : aragora::error<demo_errc> {
  std::string_view refined = {};
  [[nodiscard]] std::string_view code_name() const {
    return refined.empty() ? aragora::error<demo_errc>::code_name() : refined;
  }
};

demo_result<int> half(int x) {
  if (x % 2 != 0) return demo_error{demo_errc::first, "odd: " + std::to_string(x)};
  return x / 2;
}

}  // namespace demo

namespace {

using aragora::expected;
using demo::demo_errc;
using demo::demo_error;

TEST(Error, CodeNameIsTheModulesToString) {
  demo_error e{demo_errc::second, "why"};
  EXPECT_EQ(e.code_name(), "demo_second");
  EXPECT_EQ(e.message, "why");
  EXPECT_EQ(e, (demo_error{demo_errc::second, "why"}));
  EXPECT_NE(e, (demo_error{demo_errc::first, "why"}));
}

TEST(Error, ValueSide) {
  auto r = demo::half(8);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.has_value());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 4);
  EXPECT_EQ(*r, 4);
  r.value() = 5;
  EXPECT_EQ(*r, 5);
  EXPECT_THROW((void)r.error(), std::bad_variant_access);
}

TEST(Error, ErrorSide) {
  auto r = demo::half(3);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error().code, demo_errc::first);
  EXPECT_EQ(r.code(), demo_errc::first);
  EXPECT_EQ(r.error().code_name(), "demo_first");
  EXPECT_EQ(r.error().message, "odd: 3");
  EXPECT_THROW((void)r.value(), std::bad_variant_access);
}

TEST(Error, ArrowAndConstAccess) {
  const expected<std::string, demo_errc> r{std::string{"abc"}};
  EXPECT_EQ(r->size(), 3U);
  EXPECT_EQ(*r, "abc");
  EXPECT_EQ(r.value(), "abc");
  expected<std::vector<int>, demo_errc> v{std::vector<int>{1, 2}};
  v->push_back(3);
  EXPECT_EQ(v->size(), 3U);
}

TEST(Error, MovesOutOfAnRvalue) {
  expected<std::unique_ptr<int>, demo_errc> r{std::make_unique<int>(7)};
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);

  expected<std::unique_ptr<int>, demo_errc> s{std::make_unique<int>(8)};
  std::unique_ptr<int> q = *std::move(s);
  EXPECT_EQ(*q, 8);

  expected<std::string, demo_errc> e{demo_error{demo_errc::second, std::string(64, 'x')}};
  demo_error taken = std::move(e).error();
  EXPECT_EQ(taken.message.size(), 64U);
}

TEST(Error, AnOptionalValue) {
  // A value that may legitimately be absent (a key nobody configured) is not an error.
  expected<std::optional<std::string>, demo_errc> none{std::optional<std::string>{}};
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  expected<std::optional<std::string>, demo_errc> bad{demo_error{demo_errc::first, "malformed"}};
  EXPECT_FALSE(bad.ok());
}

TEST(Error, AnExtendedError) {
  using wide = expected<int, demo_errc, demo::wide_error>;
  wide plain{demo::wide_error{{demo_errc::first, "m"}}};
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code_name(), "demo_first");
  wide refined{demo::wide_error{{demo_errc::second, "m"}, "rounds_out_of_range"}};
  EXPECT_EQ(refined.error().code_name(), "rounds_out_of_range");
  EXPECT_EQ(refined.code(), demo_errc::second);
  wide value{3};
  EXPECT_EQ(*value, 3);
}

TEST(Error, NoValueIsAnOptionalError) {
  auto check = [](bool fail) -> std::optional<demo_error> {
    if (fail) return demo_error{demo_errc::second, "failed"};
    return std::nullopt;
  };
  EXPECT_FALSE(check(false));
  auto err = check(true);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code_name(), "demo_second");
}

}  // namespace
