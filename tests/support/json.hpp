#pragma once
// Parses the JSON the CLI prints, through the project's own codec.

#include <gtest/gtest.h>

#include <string>

#include "actors/debate/codec.hpp"

namespace aragora::test {

/// The JSON as a `Message`; a parse failure fails the current test.
template <class Message>
Message parse_json(const std::string& json) {
  Message m;
  std::string error;
  EXPECT_TRUE(debate::from_json(json, m, error)) << error << "\n" << json;
  return m;
}

}  // namespace aragora::test
