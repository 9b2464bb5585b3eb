#include "runtime/base/files/read_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace aragora::files {
namespace {

std::string temp(const std::string& stem) {
  return "/tmp/aragora-read-file-" + std::to_string(getpid()) + "-" + stem;
}

read_errc error_of(const expected<std::string, read_errc>& r) {
  EXPECT_FALSE(r.ok());
  return r.error().code;
}

TEST(ReadFile, ReadsARegularFileUpToTheCap) {
  auto p = temp("ok");
  std::ofstream(p, std::ios::binary) << std::string(100, 'x');
  auto r = read_file(p, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::string(100, 'x'));
  EXPECT_EQ(error_of(read_file(p, 99)), read_errc::too_large);
  std::remove(p.c_str());
}

TEST(ReadFile, RefusesWhatIsNotARegularFileWithoutReadingIt) {
  // /dev/zero never ends; a FIFO without a writer would block the read.
  EXPECT_EQ(error_of(read_file("/dev/zero", 1 << 20)), read_errc::not_regular);
  EXPECT_EQ(error_of(read_file("/tmp", 1 << 20)), read_errc::not_regular);
  auto fifo = temp("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error_of(read_file(fifo, 1 << 20)), read_errc::not_regular);
  std::remove(fifo.c_str());
  EXPECT_EQ(error_of(read_file("/nonexistent/file", 10)), read_errc::not_found);
  auto r = read_file("/dev/zero", 10);
  EXPECT_NE(r.error().message.find("/dev/zero"), std::string::npos);
  EXPECT_EQ(to_string(read_errc::too_large), "file_too_large");
}

TEST(ReadFile, FilesThatReportNoSizeAreStillCapped) {
  // /proc files say size 0 and produce bytes when read.
  auto r = read_file("/proc/self/status", 16);
  EXPECT_EQ(error_of(r), read_errc::too_large);
  auto whole = read_file("/proc/self/status", 1 << 20);
  ASSERT_TRUE(whole.ok());
  EXPECT_NE(whole->find("VmRSS"), std::string::npos);
}

}  // namespace
}  // namespace aragora::files
