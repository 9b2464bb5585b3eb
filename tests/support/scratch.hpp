#pragma once
// A test fixture handing out fresh paths of this test process, removed when the test ends.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/subprocess.hpp"

namespace aragora::test {

class scratch_test : public ::testing::Test {
protected:
  void TearDown() override {
    for (const auto& p : paths_) {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  }
  /// A path that does not exist yet.
  std::string path(const std::string& stem) {
    paths_.push_back(temp_path(stem));
    return paths_.back();
  }
  /// A YAML file holding `yaml`.
  std::string config(const std::string& yaml) {
    auto p = path("config.yaml");
    std::ofstream(p, std::ios::binary) << yaml;
    return p;
  }
  std::vector<std::string> paths_;
};

}  // namespace aragora::test
