#include "runtime/cli/data_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/subprocess.hpp"

namespace aragora::cli {
namespace {

TEST(DataDir, FollowsTheXdgBaseDirectorySpec) {
  EXPECT_EQ(default_data_dir("/x/data", "/home/ann"), "/x/data/aragora");
  EXPECT_EQ(default_data_dir("/x/data/", "/home/ann"), "/x/data/aragora");
  EXPECT_EQ(default_data_dir(nullptr, "/home/ann"), "/home/ann/.local/share/aragora");
  EXPECT_EQ(default_data_dir("", "/home/ann/"), "/home/ann/.local/share/aragora");
  // A relative XDG_DATA_HOME is invalid and ignored (the spec), as is a relative HOME: the data
  // would land wherever the command happens to run.
  EXPECT_EQ(default_data_dir("data", "/home/ann"), "/home/ann/.local/share/aragora");
  EXPECT_EQ(default_data_dir("data", "home"), std::nullopt);
  EXPECT_EQ(default_data_dir(nullptr, nullptr), std::nullopt);
  EXPECT_EQ(default_data_dir(nullptr, "/"), "/.local/share/aragora");
}

TEST(DataDir, ConfiguredBeatsTheEnvironment) {
  auto c = choose_data_dir("/srv/aragora");
  EXPECT_EQ(c.path, "/srv/aragora");
  EXPECT_FALSE(c.derived);
}

TEST(DataDir, CreatesMissingParentsPrivately) {
  auto root = test::temp_path("xdg");
  auto data = root + "/a/b/aragora";
  EXPECT_EQ(create_parents(data), std::nullopt);
  for (auto dir : {root, root + "/a", root + "/a/b"}) {
    struct stat st{};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0) << dir;
    EXPECT_EQ(st.st_mode & 0777, 0700u) << dir;
  }
  EXPECT_FALSE(std::filesystem::exists(data)) << "the store itself is RocksDB's to create";
  EXPECT_EQ(create_parents(data), std::nullopt) << "existing parents are fine";
  // A parent that cannot be a directory.
  EXPECT_NE(create_parents("/dev/null/x/aragora"), std::nullopt);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace aragora::cli
