// The one logger (label unit): levels, the line format, flushing at exit, and that a stderr
// nobody reads costs dropped lines, not a blocked caller. Each case that writes runs in its own
// process (a death test): the logger is process-wide and shuts down at exit.
#include "runtime/base/log/log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace aragora::log {
namespace {

TEST(Log, LevelsReadBackFromTheirNames) {
  for (auto lv : {level::debug, level::info, level::warn, level::error, level::off})
    EXPECT_EQ(level_from_string(to_string(lv)), lv);
  EXPECT_EQ(level_from_string("warn"), level::warn);
  EXPECT_FALSE(level_from_string("verbose"));
  EXPECT_FALSE(level_from_string("WARNING"));
}

TEST(Log, ALineBelowTheThresholdIsNotWritten) {
  set_level(level::warn);
  EXPECT_FALSE(enabled(level::info));
  EXPECT_TRUE(enabled(level::warn));
  EXPECT_TRUE(enabled(level::error));
  set_level(level::off);
  EXPECT_FALSE(enabled(level::error));
  set_level(level::info);
  EXPECT_TRUE(enabled(level::info));
  EXPECT_FALSE(enabled(level::debug));
}

TEST(LogDeathTest, EveryQueuedLineIsOnStderrWhenTheProcessExits) {
  EXPECT_EXIT(
      {
        set_level(level::info);
        debug("memory", "not shown");
        for (int i = 0; i < 1000; ++i) warn("debate", "line ", i, " of ", 1000);
        error("storage", "last");
        std::exit(0);
      },
      testing::ExitedWithCode(0),
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z warning debate: line 0 of 1000\n"
      "(.*\n)*.*warning debate: line 999 of 1000\n.*error storage: last\n$");
}

TEST(LogDeathTest, AStalledStderrDropsTheOldestLinesInsteadOfBlockingTheCaller) {
  EXPECT_EXIT(
      {
        int fds[2];
        if (pipe(fds) != 0 || dup2(fds[1], STDERR_FILENO) < 0) _exit(2);
        // Nobody reads the pipe: once its buffer is full the writer thread blocks on it.
        std::string line(200, 'x');
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 200'000; ++i) warn("test", line);
        auto took = std::chrono::steady_clock::now() - start;
        bool dropped_some = dropped() > 0;
        bool quick = took < std::chrono::seconds{20};
        _exit(dropped_some && quick ? 0 : 1);  // not exit(): draining into the stalled pipe blocks
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace aragora::log
