// `aragora serve` as a process (label integration): the first line says where it listens; SIGTERM
// mid-debate stops it cleanly; the next start resumes the debate, and a subscriber that resumes by
// seq misses nothing.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/edge_client.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const std::string bin = ARAGORA_BIN;

struct serve_process {
  std::unique_ptr<test::child_process> proc;
  uint16_t port = 0;
  std::string first_line;

  serve_process(const std::string& dir, const std::string& config) {
    proc = std::make_unique<test::child_process>(
        bin, std::vector<std::string>{"--config", config, "serve", "--port", "0", "--ws-port", "0",
                                      "--data-dir", dir});
    auto line = proc->read_line(20s);
    if (!line) return;
    first_line = *line;
    std::smatch m;
    if (std::regex_search(first_line, m, std::regex{"API http://127\\.0\\.0\\.1:([0-9]+)/api/v1"}))
      port = static_cast<uint16_t>(std::stoi(m[1]));
  }
};

std::string type_of(const json::object& o) { return std::string{o.at("type").as_string()}; }

TEST(ServeProcess, SigtermMidDebateThenRestartResumesItAndAResumingSubscriberMissesNothing) {
  auto dir = test::temp_path("serve-data");
  auto config = test::temp_path("serve.yaml");
  {
    std::ofstream out(config);
    out << "mock:\n  latency_ms: 300\nmemory:\n  enabled: false\n";
  }
  std::vector<uint32_t> seen;
  std::string id;
  {
    serve_process s{dir, config};
    ASSERT_NE(s.port, 0) << "first line: " << s.first_line;
    EXPECT_NE(s.first_line.find("web page http://127.0.0.1:"), std::string::npos) << s.first_line;
    auto r = test::http(s.port, "POST", "/api/v1/debates",
                        R"({"task": "Q?", "rounds": 3, "early_stop": false})");
    ASSERT_EQ(r.status, 200u) << r.body;
    id = std::string{json::parse(r.body).at("debate_id").as_string()};
    test::ws_client ws{s.port, "/ws?debate_id=" + id};
    ASSERT_TRUE(ws.connected());
    while (seen.size() < 6) {
      auto f = ws.read(10s);
      ASSERT_TRUE(f);
      auto o = json::parse(*f).as_object();
      if (o.contains("seq")) seen.push_back(static_cast<uint32_t>(o.at("seq").to_number<int64_t>()));
    }
    s.proc->signal(SIGTERM);
    auto code = s.proc->wait(20s);
    ASSERT_TRUE(code) << "serve did not stop on SIGTERM";
    EXPECT_EQ(*code, 0);
    // The stream ends with the server (going away), never with a fake debate_end.
    while (auto f = ws.read(2s)) {
      auto o = json::parse(*f).as_object();
      ASSERT_NE(type_of(o), "debate_end");
      if (o.contains("seq")) seen.push_back(static_cast<uint32_t>(o.at("seq").to_number<int64_t>()));
    }
  }
  serve_process again{dir, config};
  ASSERT_NE(again.port, 0);
  auto resumed = again.proc->read_line(5s);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(*resumed, "resumed 1 unfinished debate");
  test::ws_client ws{again.port, "/ws?debate_id=" + id + "&after_seq=" + std::to_string(seen.back())};
  ASSERT_TRUE(ws.connected());
  bool ended = false;
  while (!ended) {
    auto f = ws.read(30s);
    ASSERT_TRUE(f) << "no debate_end after the restart";
    auto o = json::parse(*f).as_object();
    if (!o.contains("seq")) continue;
    seen.push_back(static_cast<uint32_t>(o.at("seq").to_number<int64_t>()));
    ended = type_of(o) == "debate_end";
  }
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], i + 1) << "frame " << i;
  auto done = json::parse(test::http(again.port, "GET", "/api/v1/debates/" + id).body).as_object();
  EXPECT_EQ(std::string{done.at("status").as_string()}, "completed");
  again.proc->signal(SIGTERM);
  EXPECT_EQ(again.proc->wait(20s), std::optional<int>{0});
  std::filesystem::remove_all(dir);
  std::remove(config.c_str());
}

/// The sample `name{labels}` of a /metrics text, or -1 when absent.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(ServeProcess, MetricsCountWhatTheEdgeAndTheNodeDid) {
  auto dir = test::temp_path("serve-metrics");
  auto config = test::temp_path("serve-metrics.yaml");
  {
    std::ofstream out(config);
    out << "mock:\n  latency_ms: 5\nmemory:\n  enabled: false\nruntime:\n  memory_budget_mb: 64\n";
  }
  serve_process s{dir, config};
  ASSERT_NE(s.port, 0) << "first line: " << s.first_line;
  auto r = test::http(s.port, "POST", "/api/v1/debates", R"({"task": "Q?", "rounds": 2})");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto id = std::string{json::parse(r.body).at("debate_id").as_string()};
  test::ws_client ws{s.port, "/ws?debate_id=" + id};
  ASSERT_TRUE(ws.connected());
  uint32_t frames = 0;
  for (bool ended = false; !ended;) {
    auto f = ws.read(20s);
    ASSERT_TRUE(f) << "no debate_end";
    ++frames;
    ended = type_of(json::parse(*f).as_object()) == "debate_end";
  }
  EXPECT_EQ(test::http(s.port, "GET", "/api/v1/debates/nope").status, 404u);
  auto m = test::http(s.port, "GET", "/metrics");
  ASSERT_EQ(m.status, 200u);
  const auto& t = m.body;
  EXPECT_EQ(sample(t, R"(aragora_http_request_duration_seconds_count{method="POST",route="/api/v1/debates",status="200"})"), 1) << t;
  EXPECT_EQ(sample(t, R"(aragora_http_request_duration_seconds_count{method="GET",route="/api/v1/debates/{id}",status="404"})"), 1);
  EXPECT_EQ(sample(t, "aragora_debates_started_total"), 1);
  // The store's size per family (issue 13): the debate's record and events are in it.
  EXPECT_GT(sample(t, R"(aragora_store_bytes{cf="debate_events"})"), 0) << t;
  EXPECT_GT(sample(t, R"(aragora_store_keys{cf="debates"})"), 0) << t;
  EXPECT_GE(sample(t, R"(aragora_store_bytes{cf="elo"})"), 0) << t;
  EXPECT_EQ(sample(t, R"(aragora_debates_finished_total{status="consensus_reached"})") +
                std::max(0.0, sample(t, R"(aragora_debates_finished_total{status="no_consensus"})")),
            1);
  EXPECT_EQ(sample(t, "aragora_debates_in_flight"), 0);
  EXPECT_GE(sample(t, "aragora_ws_frames_sent_total"), frames);  // and connection_info
  EXPECT_EQ(sample(t, "aragora_ws_connections"), 1);
  EXPECT_GT(sample(t, "aragora_store_write_duration_seconds_count"), 0);
  EXPECT_GT(sample(t, R"(aragora_agent_call_duration_seconds_count{provider="mock"})"), 0) << t;
  EXPECT_GE(sample(t, R"(aragora_agent_queue_depth{worker="0"})"), 0);
  EXPECT_EQ(sample(t, "aragora_memory_budget_bytes"), 64 << 20);
  EXPECT_GT(sample(t, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(sample(t, "aragora_disk_size_bytes"), 0);
  EXPECT_NE(t.find("# TYPE aragora_debate_duration_seconds histogram"), std::string::npos);
  s.proc->signal(SIGTERM);
  EXPECT_EQ(s.proc->wait(20s), std::optional<int>{0});
  std::filesystem::remove_all(dir);
  std::remove(config.c_str());
}

/// Whether `pid` has exited (gone, or a zombie nobody reaped yet).
bool exited(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

bool exits_within(pid_t pid, std::chrono::milliseconds limit) {
  for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;) {
    if (exited(pid)) return true;
    std::this_thread::sleep_for(20ms);
  }
  return exited(pid);
}

struct worker_line {
  pid_t pid = 0;
  uint16_t port = 0;
};

std::optional<worker_line> parse_worker(const std::string& line, const std::string& index) {
  std::smatch m;
  if (!std::regex_search(line, m, std::regex{"^worker " + index +
                                             " \\(pid ([0-9]+)\\)(?: restarted)?: API http://127\\.0\\.0\\.1:([0-9]+)/api/v1"}))
    return std::nullopt;
  return worker_line{static_cast<pid_t>(std::stoi(m[1])), static_cast<uint16_t>(std::stoi(m[2]))};
}

TEST(ServeProcess, WorkersServeFromTheirOwnPortsAndDataDirsRestartWhenKilledAndStopTogether) {
  auto dir = test::temp_path("serve-workers");
  auto config = test::temp_path("serve-workers.yaml");
  {
    std::ofstream out(config);
    out << "mock:\n  latency_ms: 5\nmemory:\n  enabled: false\n";
  }
  test::child_process parent{bin, {"--config", config, "serve", "--workers", "2", "--port", "0",
                                   "--ws-port", "0", "--data-dir", dir}};
  auto first = parent.read_line(60s);
  ASSERT_TRUE(first);
  EXPECT_TRUE(std::regex_search(*first, std::regex{"^aragora serve: 2 workers: API http://127\\.0\\.0\\.1:[0-9]+/api/v1 http://127\\.0\\.0\\.1:[0-9]+/api/v1, web page http://"}))
      << *first;
  std::vector<worker_line> w;
  for (auto index : {"0", "1"}) {
    auto line = parent.read_line(5s);
    ASSERT_TRUE(line);
    auto parsed = parse_worker(*line, index);
    ASSERT_TRUE(parsed) << *line;
    EXPECT_NE(line->find(dir + "/worker-" + index), std::string::npos) << *line;
    w.push_back(*parsed);
  }
  // Each worker runs its own debates in its own store.
  // A debate is listed once its first step is stored: ask until it is.
  auto listed = [](uint16_t port) {
    for (auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(20ms)) {
      auto list = json::parse(test::http(port, "GET", "/api/v1/debates").body).as_object();
      const auto& d = list.at("debates").as_array();
      if (!d.empty()) return std::vector<std::string>{std::string{d[0].at("debate_id").as_string()}};
    }
    return std::vector<std::string>{};
  };
  for (const auto& x : w) {
    auto r = test::http(x.port, "POST", "/api/v1/debates", R"({"task": "Q?", "rounds": 1})");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto id = std::string{json::parse(r.body).at("debate_id").as_string()};
    EXPECT_EQ(listed(x.port), std::vector<std::string>{id}) << "each worker lists its own debate only";
  }
  // A worker that dies is restarted (on a new free port here: --port 0).
  ASSERT_EQ(kill(w[1].pid, SIGKILL), 0);
  std::optional<worker_line> again;
  bool told = false;
  while (!again) {
    auto line = parent.read_line(15s);
    ASSERT_TRUE(line) << "worker 1 was not restarted";
    told = told || line->find("worker 1 (pid " + std::to_string(w[1].pid) + ") was killed by") == 0;
    again = parse_worker(*line, "1");
  }
  EXPECT_TRUE(told);
  EXPECT_NE(again->pid, w[1].pid);
  EXPECT_EQ(listed(again->port).size(), 1u) << "the restarted worker has its store";
  // A service manager's stop signals every process of the group; each worker then also gets
  // its parent's SIGTERM, which must not turn the clean stop into an immediate exit.
  kill(w[0].pid, SIGTERM);
  kill(again->pid, SIGTERM);
  parent.signal(SIGTERM);
  auto code = parent.wait(60s);
  ASSERT_TRUE(code) << "serve --workers did not stop on SIGTERM";
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE(exited(w[0].pid));
  EXPECT_TRUE(exited(again->pid));
  std::filesystem::remove_all(dir);
  std::remove(config.c_str());
}

TEST(ServeProcess, WorkersStopWhenTheirParentIsKilled) {
  auto dir = test::temp_path("serve-orphans");
  test::child_process parent{bin, {"serve", "--workers", "2", "--port", "0", "--ws-port", "0",
                                   "--data-dir", dir}};
  auto first = parent.read_line(60s);
  ASSERT_TRUE(first);
  std::vector<pid_t> pids;
  for (auto index : {"0", "1"}) {
    auto line = parent.read_line(5s);
    ASSERT_TRUE(line);
    auto parsed = parse_worker(*line, index);
    ASSERT_TRUE(parsed) << *line;
    pids.push_back(parsed->pid);
  }
  parent.signal(SIGKILL);
  (void)parent.wait(10s);
  for (auto pid : pids) EXPECT_TRUE(exits_within(pid, 20s)) << "worker " << pid << " outlived its parent";
  std::filesystem::remove_all(dir);
}

TEST(ServeProcess, TheConfigurationsEdgeKeysApplyUnlessAFlagSaysOtherwise) {
  auto dir = test::temp_path("serve-yaml");
  auto config = test::temp_path("serve-yaml.yaml");
  {
    std::ofstream out(config);
    out << "edge:\n  port: 0\n  ws_port: 0\n  cors_origin: https://app.example\n";
  }
  test::child_process p{bin, {"serve", "--config", config, "--data-dir", dir}};
  auto first = p.read_line(20s);
  ASSERT_TRUE(first);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*first, m, std::regex{"API http://127\\.0\\.0\\.1:([0-9]+)/api/v1"})) << *first;
  auto port = static_cast<uint16_t>(std::stoi(m[1]));
  EXPECT_NE(port, 8080) << "edge.port: 0 asks for a free port";
  auto r = test::raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nConnection: close\r\n\r\n", 2s);
  EXPECT_NE(r.find("Access-Control-Allow-Origin: https://app.example"), std::string::npos) << r;
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(20s), std::optional<int>{0});
  // A flag wins over its key: --host 0.0.0.0 without tokens is refused although edge.host is loopback.
  auto refused = test::run(bin + " --config " + config + " serve --host 0.0.0.0 --data-dir " + dir);
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("tokens_required"), std::string::npos) << refused.err;
  std::filesystem::remove_all(dir);
  std::remove(config.c_str());
}

TEST(ServeProcess, TokensOfTheConfigurationAreHashesWithRoles) {
  const std::string token = "reader-token-0123456789";
  auto hashed = test::run("printf '%s\\n' " + token + " | " + bin + " hash-token");
  ASSERT_EQ(hashed.code, 0) << hashed.err;
  auto digest = hashed.out.substr(0, hashed.out.find('\n'));
  auto sum = test::run("printf '%s' " + token + " | sha256sum");
  EXPECT_EQ(digest, sum.out.substr(0, 64));
  EXPECT_EQ(test::run("echo short | " + bin + " hash-token").code, 2);

  auto dir = test::temp_path("serve-tokens");
  auto config = test::temp_path("serve-tokens.yaml");
  {
    std::ofstream out(config);
    out << "edge:\n  tokens:\n    - name: dashboard\n      role: read\n      sha256: " << digest << "\n";
  }
  serve_process s{dir, config};
  ASSERT_NE(s.port, 0) << s.first_line;
  EXPECT_EQ(s.first_line.find("no tokens"), std::string::npos) << s.first_line;
  EXPECT_EQ(test::http(s.port, "GET", "/api/v1/debates").status, 401u);
  test::header_list bearer{{"Authorization", "Bearer " + token}};
  EXPECT_EQ(test::http(s.port, "GET", "/api/v1/debates", "", bearer).status, 200u);
  EXPECT_EQ(test::http(s.port, "POST", "/api/v1/debates", R"({"task": "Q?"})", bearer).status, 403u);
  s.proc->signal(SIGTERM);
  EXPECT_EQ(s.proc->wait(20s), std::optional<int>{0});
  // A malformed entry is refused before anything listens.
  {
    std::ofstream out(config);
    out << "edge:\n  tokens:\n    - name: dashboard\n      role: reader\n      sha256: " << digest << "\n";
  }
  auto bad = test::run(bin + " --config " + config + " serve --port 0 --data-dir " + dir);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("config_bad_tokens"), std::string::npos) << bad.err;
  {
    std::ofstream out(config);
    out << "edge:\n  tokens: [1, 2]\n";
  }
  bad = test::run(bin + " --config " + config + " serve --port 0 --data-dir " + dir);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("config_bad_tokens"), std::string::npos) << bad.err;
  std::filesystem::remove_all(dir);
  std::remove(config.c_str());
}

TEST(ServeProcess, RefusesToListenBeyondLoopbackWithoutTokens) {
  auto dir = test::temp_path("serve-open");
  auto r = test::run(bin + " serve --host 0.0.0.0 --port 0 --data-dir " + dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("tokens_required"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace aragora
