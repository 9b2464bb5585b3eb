// Kill -9 a process running durable debates at random moments, restart it on the same data dir
// until everything finishes, then check: every debate completed, no event acknowledged before a
// kill is missing, no step was recorded twice, and completed steps were not run again.

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "actors/debate/store/persistence.hpp"
#include "storage/store.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;

struct child_run {
  bool killed = false;
  bool all_done = false;
  std::vector<std::string> lines;
};

/// Runs the child; with `kill_after`, SIGKILLs it that long after its first line of output (so
/// start-up time, which varies with machine load, never eats the window).
child_run run_child(const std::vector<std::string>& args,
                    std::optional<std::chrono::milliseconds> kill_after) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    std::string bin = CRASH_CHILD;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  child_run out;
  std::string buffer;
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + 60s;
  bool armed = false;
  bool open = true;
  while (open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms && !out.killed) {
      if (!armed) ADD_FAILURE() << "the child did not finish within 60 s";
      kill(pid, SIGKILL);
      out.killed = true;
    }
    pollfd p{fds[0], POLLIN, 0};
    int timeout = out.killed ? 1000 : static_cast<int>(std::max<long>(left.count(), 0));
    if (poll(&p, 1, timeout) <= 0) continue;
    char chunk[4096];
    auto n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) {
      open = false;  // EOF: the child exited (lines flushed before a kill were read first)
      break;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    if (kill_after && !armed && buffer.find('\n') != std::string::npos) {
      armed = true;
      deadline = std::chrono::steady_clock::now() + *kill_after;
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  std::istringstream in(buffer);
  for (std::string line; std::getline(in, line);) {
    if (line == "ALL_DONE") out.all_done = true;
    out.lines.push_back(line);
  }
  if (out.all_done) out.killed = false;  // finished before the kill landed
  return out;
}

std::unique_ptr<storage::store> open(const std::string& dir) {
  storage::store_options o;
  o.path = dir;
  auto r = storage::store::open(std::move(o));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r.value()) : nullptr;
}

/// Outcome events (messages and failures) on disk per debate.
std::map<std::string, size_t> persisted_outcomes(const std::string& dir) {
  std::map<std::string, size_t> out;
  auto db = open(dir);
  auto records = debate::load_records(*db);
  for (const auto& r : records.value()) {
    auto d = debate::load_debate(*db, r.spec().id());
    size_t n = 0;
    for (const auto& e : d.value()->events)
      n += e.type() == v1::EventType::agent_message || e.type() == v1::EventType::critique ||
           e.type() == v1::EventType::vote || e.type() == v1::EventType::agent_error;
    out[r.spec().id()] = n;
  }
  return out;
}

TEST(CrashRecovery, KilledAtRandomPointsEveryStoredDebateCompletesWithNothingLostOrDoubled) {
  // Each debate: 12 lite rounds of 3 steps at 40 ms, i.e. at least 1.4 s of work, so random kills
  // within the first 150 ms of every run land mid-flight many times before it can finish.
  constexpr int debates = 24;
  constexpr uint32_t rounds = 12;
  constexpr uint32_t calls = rounds * (3 * 3 + 3);
  constexpr int min_kills = 12;
  const uint32_t seed = 20261127;
  std::mt19937 rng(seed);
  auto dir = (std::filesystem::temp_directory_path() /
              ("aragora-crash-" + std::to_string(getpid())))
                 .string();
  std::filesystem::remove_all(dir);

  std::map<std::string, uint32_t> acked;  // debate -> highest seq acknowledged durable
  int kills = 0, runs = 0;
  std::map<std::string, size_t> before_final;
  child_run last;
  for (bool first = true;; first = false) {
    ASSERT_LT(runs, 80) << "no convergence after " << runs << " runs";
    if (!first) before_final = persisted_outcomes(dir);
    std::optional<std::chrono::milliseconds> kill_after;
    if (kills < min_kills) kill_after = std::chrono::milliseconds{10 + rng() % 140};
    auto args = first ? std::vector<std::string>{dir, "start", std::to_string(debates), "40",
                                                 std::to_string(rounds)}
                      : std::vector<std::string>{dir, "resume", "40"};
    last = run_child(args, kill_after);
    ++runs;
    for (const auto& line : last.lines) {
      std::istringstream l(line);
      std::string kind, id;
      uint32_t seq = 0;
      l >> kind >> id;
      if (kind == "DURABLE" && (l >> seq)) acked[id] = std::max(acked[id], seq);
      EXPECT_NE(kind, "UNREADABLE") << line;
    }
    if (last.killed) ++kills;
    if (last.all_done) break;
  }
  EXPECT_GE(kills, 10) << "too few kills landed mid-flight";

  auto db = open(dir);
  ASSERT_TRUE(db);
  auto records = debate::load_records(*db);
  ASSERT_TRUE(records.ok());
  EXPECT_GE(records.value().size(), 20u) << "debates that got on disk before the first kill";
  std::set<std::string> stored_ids;
  for (const auto& r : records.value()) stored_ids.insert(r.spec().id());
  size_t acked_events = 0;
  for (const auto& [id, seq] : acked) {
    EXPECT_TRUE(stored_ids.count(id)) << "debate " << id << " was acknowledged but has no record";
    for (uint32_t s = 1; s <= seq; ++s) {
      auto ev = db->get(storage::cf::debate_events, debate::event_key(id, s));
      ASSERT_TRUE(ev.ok());
      EXPECT_TRUE(ev.value()) << "acknowledged event " << id << "/" << s << " is missing";
      ++acked_events;
    }
  }
  std::map<std::string, uint32_t> final_calls;
  for (const auto& line : last.lines) {
    std::istringstream l(line);
    std::string kind, id, status;
    uint32_t sent = 0, total = 0;
    if (l >> kind >> id >> status >> sent >> total && kind == "DONE") final_calls[id] = sent;
  }
  EXPECT_FALSE(final_calls.empty()) << "the last run finished no debate";
  size_t rerun_calls = 0;
  for (const auto& r : records.value()) {
    const auto& id = r.spec().id();
    EXPECT_NE(r.status(), v1::Status::running) << id;
    EXPECT_NE(r.status(), v1::Status::failed) << id << ": " << r.error();
    auto stored = debate::load_debate(*db, id);
    ASSERT_TRUE(stored.ok() && stored.value());
    // The log replays: contiguous sequence, every outcome answers a pending call exactly once.
    auto rebuilt = debate::rebuild(*stored.value(), {});
    ASSERT_TRUE(std::holds_alternative<std::unique_ptr<debate::debate_machine>>(rebuilt))
        << id << ": " << std::get<std::string>(rebuilt);
    const auto& m = *std::get<std::unique_ptr<debate::debate_machine>>(rebuilt);
    EXPECT_TRUE(m.finished()) << id;
    EXPECT_EQ(m.agent_calls(), calls) << id;          // rounds x (3^2 + 3)
    EXPECT_EQ(m.transcript().size(), calls) << id;    // each call's outcome once
    // The final run sent only the calls whose outcomes were not on disk yet.
    if (final_calls.count(id) && before_final.count(id)) {
      EXPECT_EQ(final_calls[id], calls - before_final[id]) << id;
      rerun_calls += final_calls[id];
    }
  }
  std::cout << "[ crash ] seed " << seed << ": " << runs << " runs, " << kills
            << " SIGKILLs at random points, " << records.value().size() << " debates completed, "
            << acked_events << " acknowledged events all present, "
            << final_calls.size() << " debates finished by the last run with " << rerun_calls
            << " calls sent (only steps not yet on disk)\n";
  RecordProperty("kills", kills);
  RecordProperty("acknowledged_events", static_cast<int>(acked_events));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace aragora
