// The client library (net/client) against `aragora serve` as a process (label integration):
// every call through the binary WebSocket, its errors and their codes, a stream that survives a
// dropped connection and a SIGKILLed edge, `aragora-admin`'s exit codes and
// `aragora benchmark --endpoint`.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <fstream>
#include <regex>
#include <map>
#include <thread>

#include "aragora/v1/debate.pb.h"
#include "net/client/client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/stream_recorder.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const std::string bin = ARAGORA_BIN;
const std::string admin_bin = ARAGORA_ADMIN_BIN;
const std::string example_bin = ARAGORA_CLIENT_EXAMPLE_BIN;
constexpr const char* admin_token = "aaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* write_token = "wwwwwwwwwwwwwwwwwwwwwwww";

/// `aragora serve` with tokens (an admin and a writer), on a port of its choosing, or a given one.
class served {
public:
  explicit served(uint32_t latency_ms = 20) {
    dir_ = test::temp_path("client");
    std::filesystem::create_directories(dir_);
    auto tokens = dir_ + "/tokens";
    {
      std::ofstream out(tokens);
      out << "ops admin " << admin_token << "\napp write " << write_token << "\n";
    }
    ::chmod(tokens.c_str(), 0600);
    config_ = dir_ + "/aragora.yaml";
    std::ofstream out(config_);
    out << "mock:\n  latency_ms: " << latency_ms << "\nmemory:\n  enabled: false\nedge:\n  token_file: " << tokens
        << "\n  rate_limit_per_s: 0\n";
  }
  ~served() {
    if (proc_) proc_->signal(SIGKILL);
    proc_.reset();
    std::filesystem::remove_all(dir_);
  }

  /// Starts serve (on `port` when given, else on one it picks); false when it did not come up.
  bool start(uint16_t port = 0) {
    proc_ = std::make_unique<test::child_process>(
        bin, std::vector<std::string>{"--config", config_, "serve", "--port", std::to_string(port), "--ws-port", "0",
                                      "--data-dir", dir_ + "/data"});
    auto line = proc_->read_line(20s);
    std::smatch m;
    if (!line || !std::regex_search(*line, m, std::regex{"API http://127\\.0\\.0\\.1:([0-9]+)/api/v1"})) return false;
    port_ = static_cast<uint16_t>(std::stoi(m[1]));
    return true;
  }
  void kill() {
    proc_->signal(SIGKILL);
    (void)proc_->wait(10s);
    proc_.reset();
  }

  [[nodiscard]] std::string endpoint() const { return "ws://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] client::options opts(const std::string& token = write_token) const {
    client::options o;
    o.endpoint = endpoint();
    o.token = token;
    return o;
  }

private:
  std::string dir_;
  std::string config_;
  uint16_t port_ = 0;
  std::unique_ptr<test::child_process> proc_;
};

json::object parse(const std::string& body) {
  auto v = json::parse(body);
  return v.is_object() ? v.as_object() : json::object{};
}

client::debate_request small_debate(uint32_t rounds = 2) {
  client::debate_request r;
  r.task = "Should the client survive a dropped connection?";
  r.agents = {"mock:supportive:alice", "mock:critical:bob", "mock:contrarian:carol"};
  r.rounds = rounds;
  r.protocol = "full";
  r.early_stop = false;
  return r;
}

TEST(Client, StartsStreamsAndReadsADebateOverTheBinaryWebSocket) {
  served s;
  ASSERT_TRUE(s.start());
  client::client c{s.opts()};
  auto id = c.start_debate(small_debate());
  ASSERT_TRUE(id) << id.error().message;
  std::vector<uint32_t> seqs;
  std::string last_type;
  auto end = c.stream(*id, 0, [&](const v1::Event& e) {
    seqs.push_back(e.seq());
    last_type = v1::EventType::Value_Name(e.type());
  });
  ASSERT_TRUE(end) << end.error().message;
  ASSERT_FALSE(seqs.empty());
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
  EXPECT_EQ(last_type, "debate_end");
  EXPECT_EQ(end->events, seqs.size());
  EXPECT_EQ(end->last_seq, seqs.back());

  auto d = c.debate(*id);
  ASSERT_TRUE(d);
  EXPECT_EQ(parse(d->body).at("status").as_string(), "completed");
  auto receipt = c.receipt(*id);
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_NE(receipt->body.find(*id), std::string::npos);
  auto msgs = c.messages(*id);
  ASSERT_TRUE(msgs);
  auto page = c.list(10, 0);
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find(*id), std::string::npos);
  EXPECT_TRUE(c.leaderboard());
  EXPECT_TRUE(c.health());
  auto nodes = c.nodes();
  ASSERT_TRUE(nodes);
  EXPECT_EQ(parse(nodes->body).at("nodes").as_array().size(), 1u);
  auto breakers = c.breakers();
  ASSERT_TRUE(breakers);
  EXPECT_NE(breakers->body.find("\"kind\":\"store\""), std::string::npos) << breakers->body;
  EXPECT_EQ(c.connections(), 1u);  // every call on one connection

  // A second stream of the finished debate replays it from the store, from any seq.
  auto again = c.stream(*id, 3, [&](const v1::Event& e) { EXPECT_GT(e.seq(), 3u); });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->events, seqs.size() - 3);
}

TEST(Client, ErrorsCarryTheirCodeAndTheConnectionOutlivesThem) {
  served s;
  ASSERT_TRUE(s.start());
  client::client c{s.opts()};
  auto missing = c.debate("d_000000000000");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.code(), client::client_errc::refused);
  EXPECT_EQ(missing.error().status, 404u);
  EXPECT_EQ(missing.error().api_code, "NOT_FOUND");
  auto bad = c.start_debate_json(R"({"rounds": 2})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().status, 400u);
  // An unknown debate's stream ends with its error, not a hang.
  auto unknown = c.stream("d_000000000000", 0, [](const v1::Event&) {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.code(), client::client_errc::refused);
  // A writer is not an admin: 403, the admin calls refused as unauthorised.
  auto compact = c.compact();
  ASSERT_FALSE(compact);
  EXPECT_EQ(compact.code(), client::client_errc::unauthorised);
  EXPECT_EQ(compact.error().status, 403u);
  EXPECT_TRUE(c.health());
  EXPECT_EQ(c.connections(), 1u);

  // No token: the upgrade itself is refused (401).
  client::client anonymous{s.opts("")};
  auto r = anonymous.list(5, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), client::client_errc::unauthorised);
  client::client wrong{s.opts("not-a-token-of-this-edge")};
  EXPECT_EQ(wrong.connect().code(), client::client_errc::unauthorised);

  // The admin compacts the store.
  client::client admin{s.opts(admin_token)};
  auto done = admin.compact();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(parse(done->body).at("success").as_bool(), true);

  // Endpoints that are not an edge.
  client::client nowhere{{.endpoint = "ws://127.0.0.1:1", .connect_timeout = 1000ms}};
  EXPECT_EQ(nowhere.connect().code(), client::client_errc::unreachable);
  client::client malformed{{.endpoint = "ftp://example"}};
  EXPECT_EQ(malformed.connect().code(), client::client_errc::bad_endpoint);
}

TEST(Client, AStreamResumesBySeqAfterItsConnectionDropsTwice) {
  served s{80};
  ASSERT_TRUE(s.start());
  client::client c{s.opts()};
  auto id = c.start_debate(small_debate(3));
  ASSERT_TRUE(id);
  std::vector<uint32_t> seqs;
  auto end = c.stream(*id, 0, [&](const v1::Event& e) {
    seqs.push_back(e.seq());
    if (seqs.size() == 3 || seqs.size() == 8) c.drop_connection();
  });
  ASSERT_TRUE(end) << end.error().message;
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1) << "after a reconnect";
  EXPECT_GE(end->reconnects, 2u);
  EXPECT_GE(c.connections(), 3u);
}

TEST(Client, AStreamFollowsItsDebateThroughAKilledAndRestartedEdge) {
  served s{150};
  ASSERT_TRUE(s.start());
  auto port = s.port();
  client::options o = s.opts();
  o.reconnect_for = 60s;
  client::client c{o};
  auto id = c.start_debate(small_debate(3));
  ASSERT_TRUE(id);
  // Followed asynchronously: this thread kills and restarts the edge (a child started from
  // another thread would die with that thread: PR_SET_PDEATHSIG).
  test::stream_recorder rec;
  c.follow(*id, 0, rec.handlers());
  ASSERT_TRUE(rec.wait_events(4, 30s));
  ASSERT_FALSE(rec.has_ended()) << "the debate ended before the edge was killed";
  s.kill();
  ASSERT_TRUE(s.start(port)) << "serve did not come back on port " << port;
  ASSERT_TRUE(rec.wait_end(60s));
  auto end = std::move(*rec.ended);
  ASSERT_TRUE(end) << end.error().message;
  for (size_t i = 0; i < rec.seqs.size(); ++i) ASSERT_EQ(rec.seqs[i], i + 1) << "across the restart";
  EXPECT_GE(end->reconnects, 1u);
  auto d = c.debate(*id);
  ASSERT_TRUE(d);
  EXPECT_EQ(parse(d->body).at("status").as_string(), "completed");
}

// Issue 13's backup, through the running node: taken while debates run, restored into a new
// directory after the node was killed, the restored store passes doctor, and resume finishes the
// debates that were running without re-running a step the backup held.
TEST(Client, AnOnlineBackupRestoresPassesDoctorAndResumesWhatWasRunning) {
  served s{200};  // 200 ms per call: the debates are mid-way when the backup is taken
  ASSERT_TRUE(s.start());
  client::client c{s.opts()};
  auto finished = c.start_debate(small_debate(1));
  ASSERT_TRUE(finished) << finished.error().message;
  ASSERT_TRUE(c.stream(*finished, 0, [](const v1::Event&) {}));
  std::vector<std::string> running;
  for (int i = 0; i < 3; ++i) {
    auto id = c.start_debate(small_debate(10));
    ASSERT_TRUE(id) << id.error().message;
    running.push_back(*id);
  }
  // A few steps in (a round of the full protocol takes about 0.8 s at 200 ms a call).
  std::this_thread::sleep_for(1500ms);
  auto backed = test::run(test::sh_quote(admin_bin) + " --endpoint " + s.endpoint() + " --token " + admin_token +
                          " --json backup");
  ASSERT_EQ(backed.code, 0) << backed.err << backed.out;
  auto report = parse(backed.out);
  EXPECT_EQ(report.at("id").to_number<int64_t>(), 1);
  EXPECT_EQ(std::string{report.at("dir").as_string()}, s.dir() + "/data-backups");
  auto again = test::run(test::sh_quote(admin_bin) + " --endpoint " + s.endpoint() + " --token " + admin_token +
                         " backup worker-9");
  EXPECT_EQ(again.code, 1) << again.out;  // only the node itself is backed up
  EXPECT_NE(again.err.find("no node 'worker-9'"), std::string::npos) << again.err;
  s.kill();

  auto restored = s.dir() + "/restored";
  auto q = [](const std::string& x) { return test::sh_quote(x); };
  auto r = test::run(q(bin) + " restore --from " + q(s.dir() + "/data-backups") + " --data-dir " + q(restored));
  ASSERT_EQ(r.code, 0) << r.err;
  auto doctor = test::run(q(bin) + " doctor --data-dir " + q(restored));
  EXPECT_EQ(doctor.code, 0) << doctor.out << doctor.err;
  auto show = [&](const std::string& id) {
    return parse(test::run(q(bin) + " show " + id + " --json --data-dir " + q(restored)).out);
  };
  EXPECT_NE(std::string{show(*finished).at("status").as_string()}, "running");
  std::map<std::string, size_t> at_backup;
  for (const auto& id : running) {
    auto d = show(id);
    ASSERT_EQ(std::string{d.at("status").as_string()}, "running") << id;
    at_backup[id] = d.at("messages").as_array().size();
  }
  size_t held = 0;
  for (const auto& [id, n] : at_backup) held += n;
  EXPECT_GT(held, 0u) << "the backup was taken before any step of the running debates";
  auto resumed = test::run(q(bin) + " resume --json --data-dir " + q(restored));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  auto rep = parse(resumed.out);
  EXPECT_EQ(rep.at("resumed").to_number<int64_t>(), 3);
  int64_t made = rep.at("agent_calls_made").to_number<int64_t>();
  int64_t expected_made = 0;
  for (const auto& id : running) {
    auto d = show(id);
    EXPECT_NE(std::string{d.at("status").as_string()}, "running") << id;
    auto calls = d.at("agent_calls").to_number<int64_t>();
    EXPECT_EQ(static_cast<int64_t>(d.at("messages").as_array().size()), calls) << id;
    expected_made += calls - static_cast<int64_t>(at_backup[id]);
  }
  // Only the steps the backup did not hold were run, and some were left to run.
  EXPECT_EQ(made, expected_made);
  EXPECT_GT(made, 0);
}

TEST(Client, TheBackupCommandsBackUpListAndRestoreAStoreNoProcessHolds) {
  auto dir = test::temp_path("backup-cli");
  auto q = [](const std::string& x) { return test::sh_quote(x); };
  auto data = dir + "/data", out = dir + "/backups", restored = dir + "/restored";
  std::filesystem::create_directories(dir);
  ASSERT_EQ(test::run(q(bin) + " ask 'Backed up?' --rounds 1 --data-dir " + q(data)).code, 0);
  auto first = test::run(q(bin) + " backup --data-dir " + q(data) + " --out " + q(out) + " --json");
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(parse(first.out).at("id").to_number<int64_t>(), 1);
  auto second = test::run(q(bin) + " backup --data-dir " + q(data) + " --out " + q(out) + " --keep 1");
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.out.find("backup 2:"), std::string::npos) << second.out;
  auto listed = test::run(q(bin) + " backup --list --out " + q(out) + " --json");
  ASSERT_EQ(listed.code, 0) << listed.err;
  auto backups = parse(listed.out).at("backups").as_array();
  ASSERT_EQ(backups.size(), 1u);  // --keep 1
  EXPECT_EQ(backups[0].as_object().at("id").to_number<int64_t>(), 2);

  ASSERT_EQ(test::run(q(bin) + " restore --from " + q(out) + " --data-dir " + q(restored)).code, 0);
  auto before = test::run(q(bin) + " list --json --data-dir " + q(data));
  auto after = test::run(q(bin) + " list --json --data-dir " + q(restored));
  ASSERT_EQ(after.code, 0) << after.err;
  EXPECT_EQ(after.out, before.out);
  auto twice = test::run(q(bin) + " restore --from " + q(out) + " --data-dir " + q(restored));
  EXPECT_EQ(twice.code, 1);
  EXPECT_NE(twice.err.find("restore_target_not_empty"), std::string::npos) << twice.err;
  auto gone = test::run(q(bin) + " restore --from " + q(out) + " --id 1 --data-dir " + q(dir + "/other"));
  EXPECT_EQ(gone.code, 1);
  EXPECT_NE(gone.err.find("backup_not_found"), std::string::npos) << gone.err;
  auto none = test::run(q(bin) + " backup --list --out " + q(dir + "/nowhere"));
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("no_backups"), std::string::npos) << none.err;
  EXPECT_EQ(test::run(q(bin) + " backup --data-dir " + q(data)).code, 2);  // no --out
  std::filesystem::remove_all(dir);
}

TEST(Client, AdminExitCodesSayWhatFailed) {
  served s;
  ASSERT_TRUE(s.start());
  auto admin = [&](const std::string& args, const std::string& token = admin_token) {
    return test::run(test::sh_quote(admin_bin) + " --endpoint " + s.endpoint() +
                     (token.empty() ? "" : " --token " + token) + " " + args);
  };
  auto health = admin("health");
  EXPECT_EQ(health.code, 0) << health.err;
  EXPECT_NE(health.out.find("status healthy"), std::string::npos) << health.out;
  auto nodes = admin("nodes --json");
  ASSERT_EQ(nodes.code, 0) << nodes.err;
  EXPECT_EQ(parse(nodes.out).at("nodes").as_array().size(), 1u);
  EXPECT_EQ(admin("compact").code, 0);
  auto storage = admin("--json storage", write_token);  // a read route
  ASSERT_EQ(storage.code, 0) << storage.err;
  bool debates_family = false;
  auto report = parse(storage.out);
  for (const auto& f : report.at("families").as_array())
    debates_family = debates_family || f.as_object().at("cf").as_string() == "debates";
  EXPECT_TRUE(debates_family) << storage.out;
  EXPECT_EQ(admin("drain worker-9").code, 1);  // a single node has no worker to drain
  EXPECT_EQ(admin("health", "").code, 4);      // the connection itself needs a token
  EXPECT_EQ(admin("debates", "").code, 4);     // no token
  EXPECT_EQ(admin("compact", write_token).code, 4);  // a writer is not an admin
  EXPECT_EQ(admin("frobnicate").code, 2);
  EXPECT_EQ(admin("debate").code, 2);  // no id
  EXPECT_EQ(admin("--limit 0 debates").code, 2);
  auto unreachable = test::run(test::sh_quote(admin_bin) + " --endpoint ws://127.0.0.1:1 --timeout-ms 2000 nodes");
  EXPECT_EQ(unreachable.code, 3) << unreachable.err;
  EXPECT_NE(unreachable.err.find("unreachable"), std::string::npos) << unreachable.err;
}

TEST(Client, BenchmarkDrivesARunningEdgeThroughTheEndpoint) {
  served s{5};
  ASSERT_TRUE(s.start());
  auto r = test::run("ARAGORA_TOKEN=" + std::string{write_token} + " " + test::sh_quote(bin) +
                     " benchmark --endpoint " + s.endpoint() + " --debates 30 --concurrent 6 --rounds 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto report = parse(r.out);
  EXPECT_EQ(report.at("completed").to_number<int64_t>() + report.at("failed").to_number<int64_t>(), 30) << r.out;
  EXPECT_EQ(report.at("failed").to_number<int64_t>(), 0) << r.out;
  // Mock options belong to the nodes: refused, not ignored.
  auto refused = test::run(test::sh_quote(bin) + " benchmark --endpoint " + s.endpoint() + " --latency-ms 50");
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("mock_option_remote"), std::string::npos) << refused.err;
  // The example starts a debate and prints its events.
  auto example = test::run("ARAGORA_TOKEN=" + std::string{write_token} + " " + test::sh_quote(example_bin) + " " +
                           s.endpoint());
  EXPECT_EQ(example.code, 0) << example.err;
  EXPECT_NE(example.out.find("debate_end"), std::string::npos) << example.out;
}

}  // namespace
}  // namespace aragora
