// The subprocess runner with real children (label integration): input and output through pipes,
// exit statuses with stderr, deadlines that kill the whole process group, the concurrency bound,
// the queue bound, streaming, cancellation and stop.

#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "runtime/base/process/process_runner.hpp"
#include "runtime/base/text/utf8.hpp"
#include "tests/support/scratch.hpp"

namespace aragora::process {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

struct run_outcome {
  process_result result{process_error{process_errc::stopped, "not done"}};
  std::vector<std::string> pieces;
  std::chrono::milliseconds took{};
};

/// Starts a run; the future holds its outcome.
std::future<run_outcome> launch(process_runner& r, std::string command, std::string input = {},
                                std::chrono::milliseconds timeout = 10s, bool stream = false,
                                uint64_t* id = nullptr) {
  auto p = std::make_shared<std::promise<run_outcome>>();
  auto o = std::make_shared<run_outcome>();
  auto t0 = steady::now();
  auto i = r.start({std::move(command), std::move(input), t0 + timeout, stream},
                   [o](std::string_view piece) { o->pieces.emplace_back(piece); },
                   [o, p, t0](process_result res) {
                     o->result = std::move(res);
                     o->took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
                     p->set_value(*o);
                   });
  if (id) *id = i;
  return p->get_future();
}

run_outcome wait(std::future<run_outcome> f) {
  if (f.wait_for(30s) != std::future_status::ready) {
    ADD_FAILURE() << "no outcome in 30 s";
    return {};
  }
  return f.get();
}

class ProcessRunner : public test::scratch_test {};

TEST_F(ProcessRunner, APromptGoesInOnStdinAndTheReplyComesBackFromStdout) {
  process_runner r;
  auto o = wait(launch(r, "tr a-z A-Z", "propose a plan\n"));
  ASSERT_TRUE(o.result) << o.result.error().message;
  EXPECT_EQ(o.result->out, "PROPOSE A PLAN\n");
  EXPECT_EQ(r.running(), 0u);
}

TEST_F(ProcessRunner, AnInputLargerThanThePipeIsWrittenWhileTheOutputIsRead) {
  std::string big(3 << 20, 'x');  // 3 MiB: cat echoes it while it is still being written
  process_runner::options o;
  o.max_output = 4 << 20;
  process_runner wide{o};
  auto res = wait(launch(wide, "cat | wc -c", big));
  ASSERT_TRUE(res.result) << res.result.error().message;
  EXPECT_EQ(std::stoul(res.result->out), big.size());
}

TEST_F(ProcessRunner, AFailingCommandReportsItsStatusAndTheEndOfItsStderr) {
  process_runner r;
  auto o = wait(launch(r, "echo 'model not found: llama9' >&2; exit 3"));
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.error().code, process_errc::exit_status);
  EXPECT_NE(o.result.error().message.find("status 3"), std::string::npos) << o.result.error().message;
  EXPECT_NE(o.result.error().message.find("model not found: llama9"), std::string::npos);

  auto missing = wait(launch(r, "/nonexistent/agent --reply"));
  ASSERT_FALSE(missing.result);
  EXPECT_EQ(missing.result.error().code, process_errc::exit_status);
  EXPECT_NE(missing.result.error().message.find("status 127"), std::string::npos);
}

TEST_F(ProcessRunner, AHungCommandAndEverythingItStartedAreKilledAtTheDeadline) {
  process_runner r;
  auto pids = path("pids");
  // The shell starts a child in the background, then hangs too: both must die.
  auto o = wait(launch(r, "sleep 300 & echo $! > " + pids + "; echo $$ >> " + pids + "; echo partial >&2; wait", {},
                       1s));
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.error().code, process_errc::timeout);
  EXPECT_NE(o.result.error().message.find("partial"), std::string::npos) << o.result.error().message;
  EXPECT_GE(o.took, 990ms);
  EXPECT_LT(o.took, 10s);
  std::ifstream in(pids);
  std::vector<pid_t> started;
  for (pid_t p; in >> p;) started.push_back(p);
  ASSERT_EQ(started.size(), 2u);
  for (auto p : started) EXPECT_TRUE(test::ends_within(p, 5s)) << "pid " << p << " outlived its deadline";
  auto until = steady::now() + 5s;
  while (r.running() != 0 && steady::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(r.running(), 0u);  // reaped
}

TEST_F(ProcessRunner, NoMoreThanMaxRunningChildrenAtOnceAndTheRestWaitTheirTurn) {
  process_runner::options opts;
  opts.max_running = 2;
  process_runner r{opts};
  auto dir = path("slots");
  std::filesystem::create_directories(dir);
  auto counts = path("counts");
  // Each child counts the others present beside it.
  auto cmd = "touch " + dir + "/$$; ls " + dir + " | wc -l >> " + counts + "; sleep 0.15; rm " + dir + "/$$";
  std::vector<std::future<run_outcome>> runs;
  for (int i = 0; i < 6; ++i) runs.push_back(launch(r, cmd));
  for (auto& f : runs) {
    auto o = wait(std::move(f));
    EXPECT_TRUE(o.result) << o.result.error().message;
  }
  std::ifstream in(counts);
  int n = 0, most = 0;
  for (int c; in >> c; ++n) most = std::max(most, c);
  EXPECT_EQ(n, 6);
  EXPECT_EQ(most, 2);
}

TEST_F(ProcessRunner, ARunBeyondTheQueueBoundFailsAtOnce) {
  process_runner::options opts;
  opts.max_running = 1;
  opts.max_waiting = 1;
  process_runner r{opts};
  // One runs (or is about to), one waits: of three more, at least two are refused in start().
  std::vector<std::future<run_outcome>> runs;
  for (int i = 0; i < 5; ++i) runs.push_back(launch(r, "sleep 0.3"));
  int refused = 0;
  for (auto& f : runs) {
    if (f.wait_for(0s) != std::future_status::ready) continue;
    auto o = f.get();
    ASSERT_FALSE(o.result);
    EXPECT_EQ(o.result.error().code, process_errc::queue_full);
    ++refused;
  }
  EXPECT_GE(refused, 3);
  r.stop();
}

TEST_F(ProcessRunner, OutputPastItsBoundKillsTheCommand) {
  process_runner::options opts;
  opts.max_output = 64 << 10;
  process_runner r{opts};
  auto o = wait(launch(r, "yes reply"));
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.error().code, process_errc::too_large);
}

TEST_F(ProcessRunner, AStreamedRunHandsOverWholeCharactersAsTheyArrive) {
  process_runner r;
  // "é" split across two writes: a piece ends before it or after it, never inside it.
  auto o = wait(launch(r, "printf 'caf\\303'; sleep 0.3; printf '\\251 ok'", {}, 10s, true));
  ASSERT_TRUE(o.result) << o.result.error().message;
  EXPECT_EQ(o.result->out, "caf\xc3\xa9 ok");
  ASSERT_GE(o.pieces.size(), 1u);
  std::string joined;
  for (auto& p : o.pieces) {
    EXPECT_TRUE(text::is_valid_utf8(p)) << p;
    joined += p;
  }
  EXPECT_EQ(joined, o.result->out);
}

TEST_F(ProcessRunner, CancelKillsARunningCommandAndDropsAQueuedOne) {
  process_runner::options opts;
  opts.max_running = 1;
  process_runner r{opts};
  uint64_t first = 0, second = 0;
  auto a = launch(r, "sleep 30", {}, 60s, false, &first);
  auto b = launch(r, "sleep 30", {}, 60s, false, &second);
  r.cancel(second);
  auto ob = wait(std::move(b));
  ASSERT_FALSE(ob.result);
  EXPECT_EQ(ob.result.error().code, process_errc::cancelled);
  std::this_thread::sleep_for(50ms);
  r.cancel(first);
  auto oa = wait(std::move(a));
  ASSERT_FALSE(oa.result);
  EXPECT_EQ(oa.result.error().code, process_errc::cancelled);
  EXPECT_LT(oa.took, 5s);
}

TEST_F(ProcessRunner, StopKillsEveryRunAndLaterStartsFailAtOnce) {
  process_runner r;
  auto a = launch(r, "sleep 30");
  auto b = launch(r, "sleep 30");
  std::this_thread::sleep_for(50ms);
  r.stop();
  EXPECT_EQ(r.running(), 0u);
  for (auto* f : {&a, &b}) {
    auto o = wait(std::move(*f));
    ASSERT_FALSE(o.result);
    EXPECT_EQ(o.result.error().code, process_errc::stopped);
  }
  auto late = wait(launch(r, "true"));
  ASSERT_FALSE(late.result);
  EXPECT_EQ(late.result.error().code, process_errc::stopped);
}

TEST_F(ProcessRunner, ACommandThatIgnoresItsInputDoesNotHurtTheRunner) {
  process_runner r;
  // The child exits without reading: the write gets EPIPE, not a SIGPIPE that kills the node.
  auto o = wait(launch(r, "exec 0<&-; echo done", std::string(1 << 20, 'y')));
  ASSERT_TRUE(o.result) << o.result.error().message;
  EXPECT_EQ(o.result->out, "done\n");
  auto again = wait(launch(r, "echo still here"));
  ASSERT_TRUE(again.result);
}

TEST_F(ProcessRunner, ARunWhoseDeadlinePassesWhileItWaitsIsNeverStarted) {
  process_runner::options opts;
  opts.max_running = 1;
  process_runner r{opts};
  auto marker = path("started");
  auto a = launch(r, "sleep 1", {}, 10s);
  auto b = launch(r, "touch " + marker, {}, 200ms);
  auto ob = wait(std::move(b));
  ASSERT_FALSE(ob.result);
  EXPECT_EQ(ob.result.error().code, process_errc::timeout);
  EXPECT_NE(ob.result.error().message.find("waited"), std::string::npos) << ob.result.error().message;
  EXPECT_TRUE(wait(std::move(a)).result);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(ProcessRunner, AChildLeftRunningInTheBackgroundDoesNotHoldTheReply) {
  process_runner r;
  // The shell exits at once; its background child still holds stdout open.
  auto o = wait(launch(r, "sleep 300 & echo answered", {}, 20s));
  ASSERT_TRUE(o.result) << o.result.error().message;
  EXPECT_EQ(o.result->out, "answered\n");
  EXPECT_LT(o.took, 5s);
}

TEST_F(ProcessRunner, TheNodesOwnSecretsAreNotInTheChildsEnvironment) {
  ::setenv("ARAGORA_RECEIPT_SIGNING_KEY", "do-not-pass-this-on", 1);
  ::setenv("ARAGORA_TEST_OTHER", "x", 1);
  process_runner r;
  auto o = wait(launch(r, "env"));
  ::unsetenv("ARAGORA_RECEIPT_SIGNING_KEY");
  ::unsetenv("ARAGORA_TEST_OTHER");
  ASSERT_TRUE(o.result) << o.result.error().message;
  EXPECT_EQ(o.result->out.find("ARAGORA_"), std::string::npos) << o.result->out;
  EXPECT_NE(o.result->out.find("PATH="), std::string::npos);  // the rest is passed on
}

TEST_F(ProcessRunner, KillAllChildrenEndsEveryLiveGroup) {
  process_runner r;
  auto a = launch(r, "sleep 300", {}, 60s);
  for (auto until = steady::now() + 5s; r.running() == 0 && steady::now() < until;) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(r.running(), 1u);
  kill_all_children();
  auto o = wait(std::move(a));
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.error().code, process_errc::signalled);
  EXPECT_LT(o.took, 10s);
}

}  // namespace
}  // namespace aragora::process
