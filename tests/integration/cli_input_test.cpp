// Hostile and careless input to `aragora`, as a user would give it: a real subprocess, real files.
// Bad input exits 2 with `error: <code>: <message>` on stderr and nothing on stdout; nothing is
// stored, nothing hangs, nothing is printed raw to a terminal.

#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "actors/debate/codec.hpp"
#include "tests/support/json.hpp"
#include "tests/support/sanitizers.hpp"
#include "tests/support/scratch.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

using test::run;
using test::sh_quote;

const std::string bin = ARAGORA_BIN;

// ASan reserves terabytes of address space for its shadow memory, so the instrumented aragora of
// the sanitize build (scripts/sanitize) cannot start under `ulimit -v`: those cases are skipped
// there, and say so.
#if ARAGORA_TEST_ASAN
#define SKIP_UNDER_ULIMIT_V_IF_ASAN() \
  GTEST_SKIP() << "ulimit -v leaves no room for ASan's shadow memory"
#else
#define SKIP_UNDER_ULIMIT_V_IF_ASAN() (void)0
#endif

class CliInput : public test::scratch_test {};

google::protobuf::Struct parse_object(const std::string& json) {
  return test::parse_json<google::protobuf::Struct>(json);
}

/// The debates `list --json` finds in `dir` (none when the dir was never created).
int stored_debates(const std::string& dir) {
  auto r = run(bin + " list --json --data-dir " + sh_quote(dir));
  if (r.code != 0 && r.err.find("data_dir_not_found") != std::string::npos) return 0;
  EXPECT_EQ(r.code, 0) << r.err;
  auto obj = parse_object(r.out);
  if (!obj.fields().count("debates")) return 0;
  return obj.fields().at("debates").list_value().values_size();
}

void expect_refused(const test::run_result& r, const std::string& code, const std::string& what) {
  EXPECT_EQ(r.code, 2) << what << "\n" << r.err;
  EXPECT_NE(r.err.find("error: " + code + ": "), std::string::npos) << what << "\n" << r.err;
  EXPECT_TRUE(r.out.empty()) << what << "\n" << r.out;
}

// -- 1. UTF-8 ---------------------------------------------------------------------------------

// Protobuf serialises a string that is not UTF-8 and then refuses to parse it: such a debate
// used to be stored and then vanish from `list`.
TEST_F(CliInput, TextThatIsNotUtf8IsRefusedAtEveryEntry) {
  auto dir = path("data");
  const std::string bad = "caf\xE9?";  // Latin-1, not UTF-8
  struct entry {
    std::string args;
    std::string what;
  };
  for (const auto& e : {entry{sh_quote(bad), "question"},
                        entry{"'Q?' --context " + sh_quote(bad), "--context"},
                        entry{"'Q?' --domain " + sh_quote(bad), "--domain"},
                        entry{"'Q?' --agents " + sh_quote("mock:critical:b" + bad + ",mock"),
                              "agent name"}}) {
    auto r = run(bin + " ask " + e.args + " --json --data-dir " + dir);
    expect_refused(r, "invalid_utf8", e.what);
    EXPECT_EQ(r.err.find('\xE9'), std::string::npos) << "the error does not echo the bytes";
  }
  EXPECT_EQ(stored_debates(dir), 0);
  // Valid UTF-8 is stored and read back.
  auto ok = run(bin + " ask " + sh_quote("caf\xC3\xA9?") + " --json --data-dir " + dir);
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(stored_debates(dir), 1);
}

TEST_F(CliInput, AConfigThatIsNotUtf8IsRefused) {
  auto cfg = config("storage:\n  data_dir: /tmp/caf\xE9\n");
  expect_refused(run(bin + " --config " + cfg + " list"), "config_invalid_utf8", "config");
}

// -- 2. memory budget -------------------------------------------------------------------------

TEST_F(CliInput, AllAtOnceRunsAsManyAtOnceAsTheMemoryBudgetFits) {
  auto cfg = config("runtime:\n  memory_budget_mb: 8\nbenchmark:\n  warmup_debates: 0\n");
  auto r = run(bin + " --config " + cfg + " benchmark --debates 400 --rounds 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note: running "), std::string::npos) << r.err;
  auto f = parse_object(r.out).fields();
  auto concurrent = f.at("config").struct_value().fields().at("concurrent").number_value();
  EXPECT_GE(concurrent, 1);
  EXPECT_LT(concurrent, 400);
  EXPECT_LE(f.at("peak_in_flight").number_value(), concurrent);
  EXPECT_EQ(f.at("completed").number_value(), 400) << "the rest were queued, not dropped";
  // Within the budget nothing is said.
  auto small = run(bin + " --config " + cfg + " benchmark --debates 20 --rounds 1 --json");
  ASSERT_EQ(small.code, 0) << small.err;
  EXPECT_EQ(small.err.find("note:"), std::string::npos) << small.err;
}

TEST_F(CliInput, AGivenConcurrencyBeyondTheMemoryBudgetIsRefused) {
  auto cfg = config("runtime:\n  memory_budget_mb: 64\n");
  auto r = run("timeout 60 " + bin + " --config " + cfg +
               " benchmark --debates 1000000 --concurrent 1000000 --json");
  expect_refused(r, "memory_budget_exceeded", "--concurrent 1000000");
  EXPECT_NE(r.err.find("debates of about"), std::string::npos) << r.err;
}

// Without a configured budget, the default comes from the machine (and its ulimit): the old
// behaviour was to allocate until std::bad_alloc.
TEST_F(CliInput, AMillionConcurrentHugeDebatesAreRefusedNotAttempted) {
  SKIP_UNDER_ULIMIT_V_IF_ASAN();
  auto r = run("ulimit -v 4000000; timeout 60 " + bin +
               " benchmark --debates 1000000 --concurrent 1000000 --agents 16 "
               "--message-bytes 16777216 --json");
  expect_refused(r, "memory_budget_exceeded", "huge benchmark");
}

// -- 3. footprints and failing actors --------------------------------------------------------

TEST_F(CliInput, ADebateWhoseFootprintExceedsTheBudgetIsRefusedUpFront) {
  SKIP_UNDER_ULIMIT_V_IF_ASAN();
  auto dir = path("data");
  std::string agents = "mock:critical";
  for (int i = 2; i <= 16; ++i) agents += ",mock:balanced:a" + std::to_string(i);
  // The ulimit and timeout only protect the machine from the old behaviour (allocate, throw in
  // an actor, print on stdout, wait forever).
  auto r = run("ulimit -v 8000000; timeout 120 " + bin + " ask 'Q?' --json --agents " + agents +
               " --message-bytes 16777216 --data-dir " + dir);
  expect_refused(r, "memory_budget_exceeded", "16 agents x 16 MiB");
  EXPECT_EQ(stored_debates(dir), 0);
}

// A real allocation failure inside the actors: the budget is configured far above what the
// ulimit allows, so the debate starts and its agents run out of memory. The run must end (no
// wait for a reply that never comes), and stdout holds the result or nothing, never CAF's
// "unhandled exception" report.
TEST_F(CliInput, AnAllocationFailureInsideTheActorsEndsTheRunCleanly) {
  SKIP_UNDER_ULIMIT_V_IF_ASAN();
  auto cfg = config("runtime:\n  memory_budget_mb: 1000000\n");
  std::string agents = "mock:critical";
  for (int i = 2; i <= 16; ++i) agents += ",mock:balanced:a" + std::to_string(i);
  auto r = run("ulimit -v 3000000; timeout 120 " + bin + " --config " + cfg +
               " ask 'Q?' --json --storage memory --rounds 1 --agents " + agents +
               " --message-bytes 16777216");
  EXPECT_NE(r.code, 124) << "timed out: the run hung";
  EXPECT_LE(r.code, 1) << r.err;
  EXPECT_EQ(r.out.find("unhandled exception"), std::string::npos) << r.out.substr(0, 300);
  if (r.code == 0) {
    auto result = test::parse_json<v1::DebateResult>(r.out);
    EXPECT_GT(result.failed_calls(), 0u) << "the calls that ran out of memory are failed calls";
  } else {
    EXPECT_TRUE(r.out.empty()) << r.out.substr(0, 300);
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  }
}

// -- 4. the timer tick -------------------------------------------------------------------------

// A tick of 24 h used to be accepted, and every deadline and latency then waited a day.
TEST_F(CliInput, ATimerTickOfHoursIsRefused) {
  auto cfg = config("timer:\n  tick_ms: 86400000\n");
  expect_refused(run("timeout 60 " + bin + " --config " + cfg +
                     " ask 'Q?' --storage memory --json --latency-ms 1"),
                 "config_bad_value", "timer.tick_ms: 86400000");
  // Within range, but a timeout shorter than a tick could not be kept.
  auto tick = config("timer:\n  tick_ms: 20\n");
  expect_refused(run(bin + " --config " + tick + " ask 'Q?' --storage memory --agent-timeout-ms 5"),
                 "bad_duration", "--agent-timeout-ms below the tick");
}

// -- 5. numbers taken silently ---------------------------------------------------------------

TEST_F(CliInput, NumbersOutsideTheirRangeAreRefusedNotReplacedByDefaults) {
  struct bad {
    std::string args;
    std::string code;
  };
  for (const auto& c : {bad{"ask 'Q?' --rounds -1", "rounds_out_of_range"},
                        bad{"ask 'Q?' --threshold nan", "bad_threshold"},
                        bad{"ask 'Q?' --threshold -1", "bad_threshold"},
                        bad{"ask 'Q?' --seed -7", "bad_seed"},
                        bad{"ask 'Q?' --seed 4294967297", "bad_seed"},
                        bad{"ask 'Q?' --fail-rate -1", "bad_fail_rate"},
                        bad{"ask 'Q?' --fail-rate nan", "bad_fail_rate"},
                        bad{"ask 'Q?' --message-bytes -1", "bad_count"},
                        bad{"ask 'Q?' --latency-ms -1", "bad_duration"},
                        bad{"ask 'Q?' --agent-timeout-ms -1", "bad_duration"},
                        bad{"benchmark --concurrent 4294967296", "bad_count"},
                        bad{"benchmark --concurrent -1", "bad_count"},
                        bad{"benchmark --debates 4294967296", "bad_count"},
                        bad{"benchmark --duration inf", "bad_duration"},
                        bad{"benchmark --duration nan", "bad_duration"},
                        bad{"benchmark --duration -1", "bad_duration"},
                        bad{"benchmark --duration 1e300", "bad_duration"},
                        bad{"benchmark --seed -7", "bad_seed"},
                        bad{"benchmark --seed 4294967297", "bad_seed"}})
    expect_refused(run("timeout 60 " + bin + " " + c.args + " --storage memory --json"), c.code,
                   c.args);
  // The limits themselves are accepted.
  EXPECT_EQ(run(bin + " ask 'Q?' --seed 4294967295 --rounds 1 --storage memory --json").code, 0);
}

TEST_F(CliInput, ListPagesOutsideTheirRangeAreRefusedBeforeTheStoreIsOpened) {
  auto missing = path("no-such-dir");  // refused for the flags, not for the dir
  struct bad {
    std::string args;
    std::string code;
  };
  for (const auto& c : {bad{"--limit 0", "bad_limit"}, bad{"--limit -5", "bad_limit"},
                        bad{"--limit 1001", "bad_limit"}, bad{"-n 4294967297", "bad_limit"},
                        bad{"--offset -1", "bad_offset"}, bad{"--offset 4294967296", "bad_offset"},
                        bad{"--status done", "bad_status"}, bad{"--status RUNNING", "bad_status"},
                        bad{"--status completed,failed", "bad_status"},
                        bad{"--limit ten", "bad_usage"}})
    expect_refused(run(bin + " list " + c.args + " --data-dir " + missing), c.code, c.args);
  // The limits themselves are accepted.
  auto dir = path("data");
  ASSERT_EQ(run(bin + " ask 'Q?' --rounds 1 --data-dir " + dir).code, 0);
  for (const char* ok : {"--limit 1", "--limit 1000 --offset 4294967295", "--status cancelled"}) {
    auto r = run(bin + " list --json " + ok + " --data-dir " + dir);
    EXPECT_EQ(r.code, 0) << ok << "\n" << r.err;
  }
}

// -- 5. the benchmark's warm-up ---------------------------------------------------------------

TEST_F(CliInput, BenchmarkWarmUpDebatesAreNeitherStoredNorRated) {
  auto dir = path("data");
  auto r = run(bin + " benchmark --debates 3 --rounds 1 --storage rocksdb --json --data-dir " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(stored_debates(dir), 3) << "the 100 warm-up debates must not be stored";
  auto board = run(bin + " leaderboard --json --data-dir " + dir);
  ASSERT_EQ(board.code, 0) << board.err;
  auto obj = parse_object(board.out);
  const auto& agents = obj.fields().at("agents").list_value();
  ASSERT_GT(agents.values_size(), 0);
  for (const auto& a : agents.values())
    EXPECT_EQ(a.struct_value().fields().at("debates").number_value(), 3);
}

// -- 5. terminal escapes in stored text --------------------------------------------------------

TEST_F(CliInput, StoredTextCannotDriveTheTerminal) {
  auto dir = path("data");
  // Valid UTF-8 full of controls: set the window title, clear the screen, a C1 CSI.
  const std::string question = "Adopt \x1B]0;pwned\x07 it \x1B[2J now \xC2\x9B" "31m?";
  auto asked = run(bin + " ask " + sh_quote(question) + " --data-dir " + dir);
  ASSERT_EQ(asked.code, 0) << asked.err;
  auto list = run(bin + " list --data-dir " + dir);
  auto json = run(bin + " list --json --data-dir " + dir);
  ASSERT_EQ(json.code, 0) << json.err;
  auto listed = parse_object(json.out);
  const auto& entry = listed.fields().at("debates").list_value().values(0);
  EXPECT_EQ(entry.struct_value().fields().at("question").string_value(), question)
      << "--json keeps the text as it is";
  auto id = entry.struct_value().fields().at("id").string_value();
  auto show = run(bin + " show " + id + " --data-dir " + dir);
  auto audit = run(bin + " audit --data-dir " + dir);
  for (const auto* r : {&asked, &list, &show, &audit}) {
    EXPECT_EQ(r->code, 0) << r->err;
    EXPECT_EQ(r->out.find('\x1B'), std::string::npos) << r->out;
    EXPECT_EQ(r->out.find('\x07'), std::string::npos) << r->out;
    EXPECT_EQ(r->out.find("\xC2\x9B"), std::string::npos) << r->out;
    EXPECT_NE(r->out.find("\xEF\xBF\xBD"), std::string::npos) << "shown as U+FFFD\n" << r->out;
  }
}

// -- 5. the receipt file -----------------------------------------------------------------------

TEST_F(CliInput, AnUnwritableReceiptPathIsRefusedBeforeTheDebateRuns) {
  auto dir = path("data");
  auto r = run(bin + " ask 'Q?' --json --receipt /nonexistent-dir/receipt.json --data-dir " + dir);
  expect_refused(r, "receipt_unwritable", "--receipt in a missing directory");
  EXPECT_EQ(stored_debates(dir), 0) << "nothing ran";
  auto folder = path("folder");
  ::mkdir(folder.c_str(), 0755);
  expect_refused(run(bin + " ask 'Q?' --storage memory --receipt " + folder),
                 "receipt_unwritable", "--receipt naming a directory");
  // The check leaves no file behind: here the signing key is refused after it.
  auto receipt = path("receipt.json");
  auto refused = run("ARAGORA_RECEIPT_SIGNING_KEY=xyz " + bin +
                     " ask 'Q?' --storage memory --receipt " + receipt);
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_NE(refused.err.find("bad_signing_key"), std::string::npos) << refused.err;
  struct stat st {};
  EXPECT_NE(::stat(receipt.c_str(), &st), 0);
}

// -- 5. stdout write errors --------------------------------------------------------------------

TEST_F(CliInput, AnOutputThatCannotBeWrittenIsAFailure) {
  auto dir = path("data");
  ASSERT_EQ(run(bin + " ask 'Q?' --json --data-dir " + dir).code, 0);
  const std::vector<std::string> commands{
      "list --data-dir " + dir, "list --json --data-dir " + dir,
      "ask 'Q?' --storage memory --json", "ask 'Q?' --storage memory",
      "benchmark --debates 2 --json"};
  for (const auto& cmd : commands) {
    auto r = run("(" + bin + " " + cmd + " >/dev/full)");
    EXPECT_EQ(r.code, 1) << cmd << "\n" << r.err;
    EXPECT_NE(r.err.find("error: stdout_unwritable: "), std::string::npos) << cmd << "\n" << r.err;
  }
}

// -- 5. configuration files --------------------------------------------------------------------

TEST_F(CliInput, ConfigFilesWithRepeatedKeysOrSeveralDocumentsAreRefused) {
  expect_refused(run(bin + " --config " + config("debate:\n  rounds: 4\n  rounds: 5\n") + " list"),
                 "config_duplicate_key", "a key twice");
  expect_refused(run(bin + " --config " +
                     config("debate:\n  rounds: 4\ndebate:\n  seed: 3\n") + " list"),
                 "config_duplicate_key", "a section twice");
  expect_refused(run(bin + " --config " +
                     config("debate:\n  rounds: 4\n---\ndebate:\n  rounds: 5\n") + " list"),
                 "config_malformed", "two documents");
}

TEST_F(CliInput, InputFilesAreBoundedAndMustBeRegularFiles) {
  // /dev/zero never ends: it used to be read until the process aborted.
  expect_refused(run("timeout 60 " + bin + " --config /dev/zero list"), "config_unreadable",
                 "--config /dev/zero");
  auto big = path("big.yaml");
  ASSERT_EQ(std::system(("truncate -s 2M " + big).c_str()), 0);
  expect_refused(run("timeout 60 " + bin + " --config " + big + " list"), "config_too_large",
                 "a 2 MiB config");
  expect_refused(run("timeout 60 " + bin + " verify /dev/zero"), "not_a_regular_file",
                 "verify /dev/zero");
  auto huge = path("receipt.json");
  ASSERT_EQ(std::system(("truncate -s 65M " + huge).c_str()), 0);
  expect_refused(run("timeout 60 " + bin + " verify " + huge), "file_too_large",
                 "a 65 MiB receipt");
  // A FIFO would block a plain read until a writer comes.
  auto fifo = path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_refused(run("timeout 60 " + bin + " verify " + fifo), "not_a_regular_file", "a FIFO");
  expect_refused(run("timeout 60 " + bin + " verify /nonexistent/receipt.json"), "file_not_found",
                 "a missing receipt");
}

}  // namespace
}  // namespace aragora

namespace aragora {
namespace {

// -- an overall limit on `ask` ------------------------------------------------------------------

TEST_F(CliInput, AskCancelsADebateThatOutlivesItsTimeLimit) {
  auto start = std::chrono::steady_clock::now();
  // Calls that take a minute, a per-call timeout of two: only the overall limit can end it soon.
  auto r = run(bin + " ask 'Slow?' --storage memory --latency-ms 60000 --agent-timeout-ms 120000"
                     " --timeout-ms 300 --json");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{15});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("error: debate_timeout: "), std::string::npos) << r.err;
  auto obj = test::parse_json<google::protobuf::Struct>(r.out);
  EXPECT_EQ(obj.fields().at("status").string_value(), "cancelled") << r.out;
  expect_refused(run(bin + " ask 'Q?' --storage memory --timeout-ms 0"), "bad_duration",
                 "--timeout-ms 0");
}

}  // namespace
}  // namespace aragora
