// Faults an operator meets: a store that lost its CURRENT file, read-only media, a full disk, a
// damaged or deleted WAL, a damaged table block, records that do not parse, Ctrl-C and SIGTERM.
// Real RocksDB directories, real `aragora` processes, real signals, a real small tmpfs (where
// this machine lets the test mount one; elsewhere those tests are skipped and say so).

#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <thread>

#include "actors/debate/codec.hpp"
#include "aragora/v1/debate.pb.h"
#include "aragora/v1/ops.pb.h"
#include "storage/store.hpp"
#include "tests/support/json.hpp"
#include "tests/support/scratch.hpp"
#include "tests/support/subprocess.hpp"

extern char** environ;

namespace aragora {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::run;
using test::sh_quote;

const std::string bin = ARAGORA_BIN;

/// `aragora` started in the background with its own default signal dispositions.
class background {
public:
  explicit background(const std::string& args) {
    out_ = test::temp_path("bg-out");
    err_ = test::temp_path("bg-err");
    std::string cmd = "exec " + bin + " " + args + " >" + out_ + " 2>" + err_;
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigdefault(&attr, &all);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (posix_spawn(&pid_, "/bin/sh", nullptr, &attr, const_cast<char**>(argv), environ) != 0)
      pid_ = -1;
    posix_spawnattr_destroy(&attr);
  }
  ~background() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
    std::remove(out_.c_str());
    std::remove(err_.c_str());
  }
  void signal(int signo) const { ::kill(pid_, signo); }
  /// Waits up to `limit`; the exit code (128 + signal if killed), or -1 on time-out.
  int wait(std::chrono::milliseconds limit = 60s) {
    auto end = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < end) {
      auto r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        done_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
  [[nodiscard]] std::string out() const { return test::slurp(out_); }
  [[nodiscard]] std::string err() const { return test::slurp(err_); }
  /// Waits until stdout contains `text` (true) or `limit` passes (false).
  bool wait_for_output(const std::string& text, std::chrono::milliseconds limit = 20s) const {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (out().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

private:
  pid_t pid_ = -1;
  bool done_ = false;
  std::string out_, err_;
};

/// A small tmpfs, unmounted at the end; `ok()` is false where mounting is not allowed.
class tmpfs {
public:
  explicit tmpfs(const std::string& size) : path_(test::temp_path("tmpfs")) {
    fs::create_directories(path_);
    ok_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~tmpfs() {
    if (ok_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] bool remount_read_only() const {
    return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }

private:
  std::string path_;
  bool ok_ = false;
};

class Fault : public test::scratch_test {};

v1::DebateList list_json(const std::string& dir, const std::string& extra = "") {
  auto r = run(bin + extra + " list --json --data-dir " + sh_quote(dir));
  EXPECT_EQ(r.code, 0) << r.err;
  return test::parse_json<v1::DebateList>(r.out);
}

std::map<std::string, std::string> status_by_id(const v1::DebateList& list) {
  std::map<std::string, std::string> out;
  for (const auto& d : list.debates()) out[d.id()] = d.status();
  return out;
}

/// name -> size of every file in a directory (what "nothing changed on disk" compares).
std::map<std::string, uintmax_t> files_of(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  for (const auto& e : fs::directory_iterator(dir))
    out[e.path().filename().string()] = e.is_regular_file() ? e.file_size() : 0;
  return out;
}

/// Every file's bytes but RocksDB's own diagnostic log (LOG, rotated at every open attempt of a
/// writer and capped by keep_log_file_num): the data, the WAL, the manifest, CURRENT, OPTIONS.
std::string contents(const std::string& dir) {
  std::string all;
  for (const auto& [name, size] : files_of(dir))
    if (!name.starts_with("LOG")) all += name + "\n" + test::slurp(dir + "/" + name);
  return all;
}

std::vector<fs::path> files_with(const std::string& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path());
  return out;
}

void flip_byte(const fs::path& p, uintmax_t at) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&c, 1);
}

/// A store left by a SIGKILLed benchmark: its WAL holds acknowledged steps never flushed.
/// Returns the largest WAL file.
fs::path killed_mid_run(const std::string& dir, int latency_ms = 20,
                        uintmax_t wal_bytes = 4u << 20) {
  background b{"benchmark --debates 5000 --concurrent 200 --latency-ms " +
               std::to_string(latency_ms) + " --rounds 6 --storage rocksdb --data-dir " +
               sh_quote(dir) + " --json"};
  fs::path largest;
  auto end = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(50ms);
    std::error_code ec;
    if (!fs::exists(dir, ec)) continue;
    for (const auto& p : files_with(dir, ".log"))
      if (fs::file_size(p, ec) > wal_bytes) largest = p;
    if (!largest.empty()) break;
  }
  b.signal(SIGKILL);
  EXPECT_EQ(b.wait(), 128 + SIGKILL);
  EXPECT_FALSE(largest.empty()) << "no WAL grew past " << wal_bytes << " bytes";
  return largest;
}

// -- CURRENT -------------------------------------------------------------------------------------

TEST_F(Fault, AStoreThatLostItsCurrentFileIsNeverReplacedByAnEmptyOne) {
  auto dir = path("data");
  auto r = run(bin + " benchmark --debates 30 --storage rocksdb --json --data-dir " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(list_json(dir).debates_size(), 30);
  auto current = test::slurp(dir + "/CURRENT");
  fs::remove(dir + "/CURRENT");
  auto before = files_of(dir);
  for (int attempt = 0; attempt < 3; ++attempt) {
    for (const char* cmd : {" list", " audit", " leaderboard", " resume", " doctor", " ask q?",
                            " benchmark --storage rocksdb"}) {
      auto x = run(bin + cmd + " --data-dir " + dir);
      EXPECT_EQ(x.code, 1) << cmd << "\n" << x.out << x.err;
      EXPECT_NE(x.err.find("storage_open_failed"), std::string::npos) << cmd << x.err;
    }
    EXPECT_EQ(files_of(dir), before) << "an open that failed changed the directory";
  }
  // The operator restores the file: everything is still there.
  std::ofstream(dir + "/CURRENT", std::ios::binary) << current;
  EXPECT_EQ(list_json(dir).debates_size(), 30);
}

TEST_F(Fault, ReadOnlyCommandsNeverCreateAStore) {
  auto missing = path("missing");
  auto empty = path("empty");
  fs::create_directories(empty);
  for (const auto& dir : {missing, empty}) {
    for (const char* cmd : {" list", " show 0000000000000001", " audit", " leaderboard",
                            " doctor", " resume"}) {
      auto r = run(bin + cmd + " --data-dir " + dir);
      EXPECT_EQ(r.code, 1) << cmd;
      EXPECT_NE(r.err.find("error: data_dir_not_found: "), std::string::npos) << cmd << r.err;
      EXPECT_EQ(r.out, "") << cmd;
    }
  }
  EXPECT_FALSE(fs::exists(missing));
  EXPECT_TRUE(fs::is_empty(empty));
}

// -- read-only media, a writer beside ---------------------------------------------------------

TEST_F(Fault, ReadOnlyCommandsWorkOnReadOnlyMedia) {
  tmpfs media{"64m"};
  if (!media.ok()) GTEST_SKIP() << "this machine does not allow mounting a tmpfs";
  auto dir = media.path() + "/data";
  auto cfg = " --config " + config("storage:\n  min_free_mb: 8\n");
  auto r = run(bin + cfg + " ask 'Read-only media?' --json --data-dir " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  auto id = test::parse_json<v1::DebateResult>(r.out).id();
  ASSERT_TRUE(media.remount_read_only());
  for (const std::string& cmd :
       std::vector<std::string>{" list", " show " + id, " audit", " leaderboard", " doctor"}) {
    auto x = run(bin + cfg + cmd + " --data-dir " + dir);
    EXPECT_EQ(x.code, 0) << cmd << "\n" << x.err;
    EXPECT_EQ(x.err, "") << cmd;
  }
  EXPECT_NE(run(bin + " list --data-dir " + dir).out.find(id), std::string::npos);
  // A command that writes says it cannot, and does not crash.
  auto w = run(bin + cfg + " ask again? --data-dir " + dir);
  EXPECT_EQ(w.code, 1) << w.err;
  EXPECT_NE(w.err.find("error: storage_"), std::string::npos) << w.err;
}

TEST_F(Fault, ReadOnlyCommandsWorkBesideARunningWriter) {
  auto dir = path("data");
  background writer{"ask 'Beside a writer?' --latency-ms 150 --rounds 4 --early-stop off "
                    "--data-dir " + dir};
  ASSERT_TRUE(writer.wait_for_output("-- Round 2 --")) << writer.err();
  auto list = list_json(dir);
  ASSERT_EQ(list.debates_size(), 1);
  EXPECT_EQ(list.debates(0).status(), "running");
  auto show = run(bin + " show " + list.debates(0).id() + " --data-dir " + dir);
  EXPECT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("Still running"), std::string::npos);
  EXPECT_EQ(writer.wait(), 0) << writer.err();
  EXPECT_EQ(list_json(dir).debates(0).status(), "completed");
}

// -- a full disk ----------------------------------------------------------------------------------

/// Fills `dir`'s file system until about `leave` bytes are free.
std::string fill_disk(const std::string& dir, uint64_t leave) {
  auto filler = dir + "/filler";
  auto free = storage::free_space_of(dir).value_or(0);
  if (free > leave) {
    std::ofstream f(filler, std::ios::binary | std::ios::app);
    std::string mb(1 << 20, 'x');
    for (uint64_t left = free - leave; left >= mb.size(); left -= mb.size()) f << mb;
  }
  return filler;
}

TEST_F(Fault, AFullDiskStopsWritesCleanlyAndTheyResumeOnceSpaceReturns) {
  tmpfs disk{"48m"};
  if (!disk.ok()) GTEST_SKIP() << "this machine does not allow mounting a tmpfs";
  auto dir = disk.path() + "/data";
  auto cfg = " --config " + config("storage:\n  min_free_mb: 8\n");
  auto first = run(bin + cfg + " ask 'Before the disk filled?' --data-dir " + dir);
  ASSERT_EQ(first.code, 0) << first.err;
  auto filler = fill_disk(disk.path(), 3u << 20);

  // Commands that write refuse with a stable code; none aborts (RocksDB asserts on some ENOSPC
  // paths: exit 134 before the reserve existed).
  for (const char* cmd : {" ask 'On a full disk?'", " resume",
                          " benchmark --debates 5 --storage rocksdb"}) {
    auto r = run(bin + cfg + cmd + " --data-dir " + dir);
    EXPECT_EQ(r.code, 1) << cmd << "\n" << r.err;
    EXPECT_NE(r.err.find("error: storage_unavailable: disk almost full"), std::string::npos)
        << cmd << r.err;
  }
  // Readers still read.
  EXPECT_EQ(list_json(dir, cfg).debates_size(), 1);

  fs::remove(filler);
  auto after = run(bin + cfg + " ask 'After space returned?' --data-dir " + dir);
  EXPECT_EQ(after.code, 0) << after.err;
  EXPECT_EQ(list_json(dir, cfg).debates_size(), 2);
  EXPECT_EQ(run(bin + cfg + " doctor --data-dir " + dir).code, 0);
}

TEST_F(Fault, ADebateWhoseDiskFillsMidRunWaitsAndFinishesWhenSpaceReturns) {
  tmpfs disk{"48m"};
  if (!disk.ok()) GTEST_SKIP() << "this machine does not allow mounting a tmpfs";
  auto dir = disk.path() + "/data";
  auto cfg = " --config " + config("storage:\n  min_free_mb: 8\n");
  background debate{cfg + " ask 'Mid-run full disk?' --latency-ms 100 --rounds 4 --early-stop off "
                          "--json --data-dir " + dir};
  // Once the debate's record is on disk, the disk fills.
  for (int i = 0; i < 400 && !fs::exists(dir + "/CURRENT"); ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(300ms);
  auto filler = fill_disk(disk.path(), 3u << 20);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(debate.wait(10ms), -1) << "the debate cannot finish while it cannot persist";
  fs::remove(filler);
  ASSERT_EQ(debate.wait(60s), 0) << debate.err();
  EXPECT_NE(debate.err().find("storage_unavailable"), std::string::npos) << debate.err();
  auto result = test::parse_json<v1::DebateResult>(debate.out());
  // Everything the debate did is on disk: the shown transcript is the live one.
  auto shown = run(bin + " show " + result.id() + " --json --data-dir " + dir);
  ASSERT_EQ(shown.code, 0) << shown.err;
  auto replayed = test::parse_json<v1::DebateResult>(shown.out);
  EXPECT_EQ(replayed.messages_size(), result.messages_size());
  EXPECT_EQ(replayed.receipt().sha256(), result.receipt().sha256());
}

// -- the WAL --------------------------------------------------------------------------------------

TEST_F(Fault, ACleanExitLeavesNothingOnlyInTheWal) {
  auto dir = path("data");
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(run(bin + " ask 'Flushed at close " + std::to_string(i) + "?' --data-dir " + dir).code,
              0);
  for (const auto& wal : files_with(dir, ".log")) fs::remove(wal);
  auto list = list_json(dir);
  ASSERT_EQ(list.debates_size(), 3);
  for (const auto& d : list.debates()) EXPECT_EQ(d.status(), "completed");
  EXPECT_EQ(run(bin + " doctor --data-dir " + dir).code, 0);
}

TEST_F(Fault, ADamagedWalIsRefusedNotSilentlyCutShortAndSalvageNeverReRunsADebate) {
  auto dir = path("data");
  auto wal = killed_mid_run(dir);
  ASSERT_FALSE(wal.empty());
  flip_byte(wal, fs::file_size(wal) / 2);
  auto before = contents(dir);
  for (const char* cmd : {" list", " resume", " leaderboard", " doctor"}) {
    auto r = run(bin + cmd + " --data-dir " + dir);
    EXPECT_EQ(r.code, 1) << cmd << "\n" << r.out;
    EXPECT_NE(r.err.find("error: storage_corrupt: "), std::string::npos) << cmd << r.err;
    EXPECT_NE(r.err.find("--salvage"), std::string::npos) << r.err;
  }
  EXPECT_EQ(contents(dir), before) << "a refused open changed the store";

  // The operator salvages: the damaged WAL is kept aside, what can be read is kept, and debates
  // that show as running (some may have finished in the lost part) are stopped, not re-run.
  auto salvage = run(bin + " doctor --salvage --json --data-dir " + dir);
  ASSERT_NE(salvage.out, "") << salvage.err;
  auto report = test::parse_json<v1::DoctorReport>(salvage.out);
  EXPECT_TRUE(fs::exists(report.salvage_backup() + "/" + wal.filename().string()));
  EXPECT_GT(report.salvaged(), 0u);
  for (const auto& [id, status] : status_by_id(list_json(dir))) EXPECT_NE(status, "running") << id;
  auto resume = run(bin + " resume --json --data-dir " + dir);
  EXPECT_EQ(resume.code, 0) << resume.err;
  EXPECT_EQ(test::parse_json<v1::ResumeReport>(resume.out).resumed(), 0u);
  auto audit = run(bin + " audit --data-dir " + dir);
  EXPECT_NE(audit.out.find("debate.salvage"), std::string::npos);
}

TEST_F(Fault, ATornLastWalRecordIsDroppedWithAWarning) {
  auto dir = path("data");
  auto wal = killed_mid_run(dir);
  ASSERT_FALSE(wal.empty());
  fs::resize_file(wal, fs::file_size(wal) - 7);
  auto r = run(bin + " list --data-dir " + dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("torn record"), std::string::npos) << r.err;
  EXPECT_EQ(run(bin + " resume --data-dir " + dir).code, 0);
}

TEST_F(Fault, OnlyATornRecordInTheNewestWalIsForgiven) {
  // Two WAL files with acknowledged writes: compacting one family switches to a new WAL while
  // the other families keep the old one alive. The directory is copied while the store is open,
  // as a crash would leave it.
  auto dir = path("data");
  {
    storage::store_options o;
    o.path = dir;
    auto db = storage::store::open(o);
    ASSERT_TRUE(db.ok()) << db.error().message;
    for (int i = 0; i < 200; ++i) {
      storage::write_batch b;
      b.put(storage::cf::audit, "old-" + std::to_string(i), std::string(512, 'x'), 0);
      b.put(storage::cf::debates, "old-" + std::to_string(i), std::string(512, 'x'), 0);
      ASSERT_FALSE(db.value()->write(b, false));
    }
    ASSERT_FALSE(db.value()->compact(storage::cf::debates));
    for (int i = 0; i < 200; ++i) {
      storage::write_batch b;
      b.put(storage::cf::audit, "new-" + std::to_string(i), std::string(512, 'y'), 0);
      ASSERT_FALSE(db.value()->write(b, false));
    }
    for (const char* copy : {"older", "newest"}) {
      fs::copy(dir, path(copy) , fs::copy_options::recursive);
      fs::rename(paths_.back(), dir + "-" + copy);
      paths_.push_back(dir + "-" + copy);
    }
  }
  auto wals = [](const std::string& d) {
    auto logs = files_with(d, ".log");
    std::sort(logs.begin(), logs.end());
    std::erase_if(logs, [](const fs::path& p) { return fs::file_size(p) == 0; });
    return logs;
  };
  auto older = wals(dir + "-older");
  ASSERT_GE(older.size(), 2u) << "the test needs two WAL files with data";
  fs::resize_file(older.front(), fs::file_size(older.front()) - 7);
  auto r = run(bin + " list --data-dir " + dir + "-older");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("error: storage_corrupt: "), std::string::npos) << r.err;

  auto newest = wals(dir + "-newest");
  fs::resize_file(newest.back(), fs::file_size(newest.back()) - 7);
  auto n = run(bin + " list --data-dir " + dir + "-newest");
  EXPECT_EQ(n.code, 0) << n.err;
  EXPECT_NE(n.err.find("torn record"), std::string::npos) << n.err;
}

TEST_F(Fault, AnInterruptedCreationIsNotMistakenForALostStore) {
  // What a Ctrl-C or crash in the middle of the very first `ask` can leave: RocksDB's bootstrap
  // files, no CURRENT, no data. The next command creates the store instead of refusing forever.
  auto dir = path("data");
  fs::create_directories(dir);
  for (const char* f : {"IDENTITY", "LOCK", "LOG", "MANIFEST-000001", "OPTIONS-000007"})
    std::ofstream(dir + "/" + f) << "";
  auto list = run(bin + " list --data-dir " + dir);
  EXPECT_EQ(list.code, 1);
  EXPECT_NE(list.err.find("data_dir_not_found"), std::string::npos) << list.err;
  auto ask = run(bin + " ask 'After an interrupted creation?' --data-dir " + dir);
  EXPECT_EQ(ask.code, 0) << ask.err;
  EXPECT_EQ(list_json(dir).debates_size(), 1);
}

TEST_F(Fault, SalvageWritesNothingIntoADirectoryThatIsNoStore) {
  auto typo = path("typo");
  auto r = run(bin + " doctor --salvage --data-dir " + typo);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("data_dir_not_found"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(typo));
}

TEST_F(Fault, AClosedStdoutEndsInAnErrorNotAKilledDebate) {
  auto dir = path("data");
  auto code = path("code");
  auto r = run("sh -c '(" + bin + " ask Pipe? --latency-ms 50 --rounds 3 --early-stop off "
               "--data-dir " + dir + "; echo $? > " + code + ") | head -c 10'");
  EXPECT_EQ(test::slurp(code), "1\n") << "not killed by SIGPIPE (141): " << r.err;
  EXPECT_NE(r.err.find("stdout_unwritable"), std::string::npos) << r.err;
  auto list = list_json(dir);
  ASSERT_EQ(list.debates_size(), 1);
  EXPECT_EQ(list.debates(0).status(), "completed") << "the debate ran to its end";
}

TEST_F(Fault, VerifyPrintsNoTerminalControlFromAForgedReceipt) {
  auto receipt = path("receipt.json");
  std::ofstream(receipt) << R"({"algorithm": "x\r\u001b[2Kvalid: DR-0000 (digest ok)\u001b[8m",)"
                            R"( "receipt_id": "DR-\u001b[31m"})";
  auto r = run(bin + " verify " + receipt);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("invalid: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.out;
}

// -- records and blocks that cannot be read -------------------------------------------------------

TEST_F(Fault, ARecordThatDoesNotParseIsReportedAndRatingsAreNeverOverwritten) {
  auto dir = path("data");
  ASSERT_EQ(run(bin + " ask 'First?' --data-dir " + dir).code, 0);
  ASSERT_EQ(run(bin + " ask 'Second?' --data-dir " + dir).code, 0);
  ASSERT_EQ(run(bin + " ask 'Broken?' --data-dir " + dir).code, 0);
  const auto broken = list_json(dir).debates(0).id();  // the newest
  std::string rating_before;
  {
    storage::store_options o;
    o.path = dir;
    o.mode = storage::open_mode::existing;
    auto db = storage::store::open(o);
    ASSERT_TRUE(db.ok()) << db.error().message;
    storage::write_batch b;
    // A payload that is not a protobuf message: what a text that was not UTF-8 became once.
    // The record of a listed debate, so `list` meets it on its page.
    b.put(storage::cf::debates, broken, "\xff\xff\xff\xff", 0);
    b.put(storage::cf::elo, "agent/zz-unparseable", "\xff\xff\xff\xff", 0);
    ASSERT_FALSE(db.value()->write(b, true));
    rating_before = db.value()->get(storage::cf::elo, "agent/supportive").value().value_or("");
    ASSERT_NE(rating_before, "");
  }
  auto list = run(bin + " list --data-dir " + dir);
  EXPECT_EQ(list.code, 1);
  EXPECT_NE(list.err.find("storage_corrupt_record"), std::string::npos) << list.err;
  EXPECT_NE(list.err.find(broken), std::string::npos) << list.err;
  EXPECT_NE(list.out.find("First?"), std::string::npos) << "the readable debates are still listed";
  EXPECT_NE(list.out.find("Second?"), std::string::npos);

  auto doctor = run(bin + " doctor --json --data-dir " + dir);
  EXPECT_EQ(doctor.code, 1);
  EXPECT_NE(doctor.out.find("\"healthy\":false"), std::string::npos) << doctor.out;

  // The ranking cannot read every rating: it records nothing rather than overwrite any.
  auto board = run(bin + " leaderboard --data-dir " + dir);
  EXPECT_EQ(board.code, 1);
  EXPECT_NE(board.err.find("storage_corrupt_record"), std::string::npos) << board.err;
  ASSERT_EQ(run(bin + " ask 'Third?' --data-dir " + dir).code, 0);
  storage::store_options o;
  o.path = dir;
  o.mode = storage::open_mode::read_only;
  auto db = storage::store::open(o);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db.value()->get(storage::cf::elo, "agent/supportive").value().value_or(""),
            rating_before);
}

TEST_F(Fault, ADamagedTableBlockFailsEveryCommandThatReadsItWithAClearError) {
  auto dir = path("data");
  ASSERT_EQ(run(bin + " benchmark --debates 300 --storage rocksdb --json --data-dir " + dir).code,
            0);
  auto tables = files_with(dir, ".sst");
  ASSERT_FALSE(tables.empty());
  for (const auto& t : tables) flip_byte(t, fs::file_size(t) / 3);
  // `list` reads the blocks of its page: a page that covers every debate reads every block.
  for (const char* cmd : {" list --limit 1000", " resume", " leaderboard", " doctor"}) {
    auto r = run(bin + cmd + " --data-dir " + dir);
    EXPECT_EQ(r.code, 1) << cmd << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("error: storage_corrupt"), std::string::npos) << cmd << r.err;
  }
}

// -- signals ---------------------------------------------------------------------------------------

void expect_cancelled_by_signal(const std::string& dir, const std::string& signal_name) {
  auto list = list_json(dir);
  ASSERT_GT(list.debates_size(), 0);
  for (const auto& d : list.debates()) EXPECT_NE(d.status(), "running") << d.id();
  auto audit = run(bin + " audit --json --data-dir " + dir);
  auto log = test::parse_json<v1::AuditLog>(audit.out);
  int cancels = 0;
  for (const auto& e : log.entries())
    if (e.action() == "debate.cancel") {
      ++cancels;
      EXPECT_EQ(e.actor(), "signal");
      EXPECT_EQ(e.detail(), "interrupted by " + signal_name);
    }
  EXPECT_GT(cancels, 0);
  auto resume = run(bin + " resume --json --data-dir " + dir);
  EXPECT_EQ(resume.code, 0) << resume.err;
  EXPECT_EQ(test::parse_json<v1::ResumeReport>(resume.out).resumed(), 0u)
      << "a later resume must not run (and pay for) what the user cancelled";
}

TEST_F(Fault, CtrlCCancelsTheDebateAndExits130) {
  auto dir = path("data");
  background ask{"ask 'Interrupted?' --latency-ms 200 --rounds 6 --early-stop off --data-dir " + dir};
  ASSERT_TRUE(ask.wait_for_output("-- Round 1 --")) << ask.err();
  ask.signal(SIGINT);
  EXPECT_EQ(ask.wait(), 130) << ask.err();
  EXPECT_NE(ask.out().find("cancelled"), std::string::npos) << ask.out();
  expect_cancelled_by_signal(dir, "SIGINT");
}

TEST_F(Fault, SigtermStopsABenchmarkCleanlyAndExits143) {
  auto dir = path("data");
  background bench{"benchmark --debates 100000 --concurrent 100 --latency-ms 50 --storage rocksdb "
                   "--json --data-dir " + dir};
  // Once debates are on disk (`list` reads the store beside the writer), then mid-run: a clock
  // alone fired before the first debate under ASan, whose start-up is several times slower.
  auto until = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < until) {
    auto r = run(bin + " list --json --data-dir " + sh_quote(dir));
    if (r.code == 0 && test::parse_json<v1::DebateList>(r.out).debates_size() > 0) break;
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(500ms);
  bench.signal(SIGTERM);
  EXPECT_EQ(bench.wait(), 143) << bench.err();
  // The report of what ran is still printed.
  EXPECT_NE(bench.out().find("\"completed\""), std::string::npos) << bench.out();
  expect_cancelled_by_signal(dir, "SIGTERM");
}

TEST_F(Fault, CtrlCDuringResumeCancelsEvenTheDebatesNotYetRunning) {
  // resume starts its debates one after another; a debate spawned (or not yet run) when the
  // signal comes must be cancelled too, not run to its end behind an exit code of 130.
  auto dir = path("data");
  // Slow agents (300 ms a call): the resumed debates are far from done when the signal comes.
  // The mock's latency is the node's configuration, not the stored debate's: resume gets it too.
  ASSERT_FALSE(killed_mid_run(dir, 300, 64u << 10).empty());
  background resume{" --config " + config("mock:\n  latency_ms: 300\n") + " resume --data-dir " + dir};
  // Once it is resuming (a signal during its start-up, slow under ASan, exits before any debate
  // runs, which is not what this checks), then mid-run.
  ASSERT_TRUE(resume.wait_for_output("Resuming ")) << resume.err();
  std::this_thread::sleep_for(300ms);
  resume.signal(SIGINT);
  EXPECT_EQ(resume.wait(), 130) << resume.err();
  expect_cancelled_by_signal(dir, "SIGINT");
}

TEST_F(Fault, ASecondCtrlCExitsAtOnceAndLeavesAConsistentStore) {
  tmpfs disk{"48m"};
  if (!disk.ok()) GTEST_SKIP() << "this machine does not allow mounting a tmpfs";
  auto dir = disk.path() + "/data";
  auto cfg = " --config " + config("storage:\n  min_free_mb: 8\n");
  background ask{cfg + " ask 'Twice?' --latency-ms 100 --rounds 6 --early-stop off --data-dir " +
                 dir};
  ASSERT_TRUE(ask.wait_for_output("-- Round 1 --")) << ask.err();
  // The disk fills: the cancel the first Ctrl-C asks for cannot be persisted, so it waits.
  auto filler = fill_disk(disk.path(), 3u << 20);
  std::this_thread::sleep_for(300ms);
  ask.signal(SIGINT);
  EXPECT_EQ(ask.wait(1500ms), -1) << "the first Ctrl-C waits for the cancel to be persisted";
  ask.signal(SIGINT);
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(ask.wait(), 130) << ask.err();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << "the second one does not wait";
  fs::remove(filler);
  // Consistent: the store opens, every log replays, and the debate (never cancelled on disk) can
  // be resumed to its end.
  EXPECT_EQ(run(bin + cfg + " doctor --data-dir " + dir).code, 0);
  auto resume = run(bin + cfg + " resume --json --data-dir " + dir);
  EXPECT_EQ(resume.code, 0) << resume.err;
  EXPECT_EQ(test::parse_json<v1::ResumeReport>(resume.out).completed(), 1u);
}

}  // namespace
}  // namespace aragora
