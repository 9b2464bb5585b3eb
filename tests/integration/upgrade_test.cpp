// A rolling upgrade's first step, for real: this build's `aragora` opens stores written by earlier
// builds (tests/fixtures/stores, made by make-store-fixture.sh with those builds' binaries), as a
// node does when it restarts on the new version. Each store holds completed debates, one with the
// receipt its release printed, and two debates SIGKILLed mid-way. The new binary must read every
// record, list the same debates, hand back the same receipt, and finish the killed debates without
// re-running a step: through `aragora resume`, and through `aragora serve` started on the store.
// Real processes on real data dirs (label e2e).

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/edge_client.hpp"
#include "tests/support/scratch.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using test::run;
using test::sh_quote;

const std::string bin = ARAGORA_BIN;
const std::string admin_bin = ARAGORA_ADMIN_BIN;
const std::string fixtures = ARAGORA_STORE_FIXTURES;

json::value read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

std::string text(const json::value& v) { return std::string{v.as_string()}; }

class Upgrade : public test::scratch_test, public ::testing::WithParamInterface<std::string> {
protected:
  /// The fixture unpacked into a fresh directory: data/ and the facts its release printed.
  std::string unpack() {
    auto dir = path("upgrade");
    std::filesystem::create_directories(dir);
    auto r = run("tar -C " + sh_quote(dir) + " -xzf " + sh_quote(fixtures + "/" + GetParam()));
    EXPECT_EQ(r.code, 0) << r.err;
    return dir;
  }

  json::object show(const std::string& data, const std::string& id) {
    auto r = run(bin + " show " + id + " --json --data-dir " + sh_quote(data));
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? json::parse(r.out).as_object() : json::object{};
  }

  /// Every debate id and its status, as `aragora list` says.
  std::map<std::string, std::string> statuses(const json::value& list) {
    std::map<std::string, std::string> out;
    for (const auto& d : list.at("debates").as_array()) out[text(d.at("id"))] = text(d.at("status"));
    return out;
  }

  /// The killed debates ended, each with all of its steps once: messages equal calls made.
  void expect_finished(const std::string& data, const json::object& at_kill, int64_t* calls_left) {
    *calls_left = 0;
    for (const auto& [id, steps] : at_kill) {
      auto d = show(data, std::string{id});
      EXPECT_NE(text(d.at("status")), "running") << id;
      auto calls = d.at("agent_calls").to_number<int64_t>();
      EXPECT_EQ(static_cast<int64_t>(d.at("messages").as_array().size()), calls) << id;
      *calls_left += calls - steps.to_number<int64_t>();
    }
  }
};

TEST_P(Upgrade, TheStoreReadsListsAndKeepsItsReceiptAndResumeFinishesTheKilledDebates) {
  auto dir = unpack();
  auto data = dir + "/data";
  auto before = run(bin + " doctor --data-dir " + sh_quote(data));  // read-only: upgrades nothing
  EXPECT_EQ(before.code, 0) << before.out << before.err;

  auto listed = run(bin + " list --json --data-dir " + sh_quote(data));
  ASSERT_EQ(listed.code, 0) << listed.err;
  auto then = statuses(read_json(dir + "/list.json"));
  EXPECT_EQ(statuses(json::parse(listed.out)), then);
  EXPECT_EQ(then.size(), 11u);

  // The receipt the release printed is the one the store names, and the debate this build reads
  // back matches it field by field (`verify --result`).
  auto printed = read_json(dir + "/receipt.json").as_object();
  auto d = show(data, text(printed.at("debate_id")));
  ASSERT_TRUE(d.contains("receipt"));
  EXPECT_EQ(d.at("receipt").at("id"), printed.at("receipt_id"));
  EXPECT_EQ(d.at("receipt").at("sha256"), printed.at("sha256"));
  std::ofstream(dir + "/stored-result.json") << json::serialize(d);
  auto verified = run(bin + " verify " + sh_quote(dir + "/receipt.json") + " --result " +
                      sh_quote(dir + "/stored-result.json"));
  EXPECT_EQ(verified.code, 0) << verified.out << verified.err;
  // A result that differs from the receipt in one field is caught: the check can fail.
  d["verdict"] = "rejected";
  std::ofstream(dir + "/altered-result.json") << json::serialize(d);
  EXPECT_EQ(run(bin + " verify " + sh_quote(dir + "/receipt.json") + " --result " +
                sh_quote(dir + "/altered-result.json"))
                .code,
            1);

  // The two debates the kill interrupted: only their missing steps run.
  auto at_kill = read_json(dir + "/running.json").as_object();
  ASSERT_EQ(at_kill.size(), 2u);
  for (const auto& [id, steps] : at_kill) EXPECT_EQ(then[std::string{id}], "running");
  auto resumed = run(bin + " resume --json --data-dir " + sh_quote(data));
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  auto report = json::parse(resumed.out).as_object();
  EXPECT_EQ(report.at("resumed").to_number<int64_t>(), 2);
  int64_t calls_left = 0;
  expect_finished(data, at_kill, &calls_left);
  EXPECT_EQ(report.at("agent_calls_made").to_number<int64_t>(), calls_left);
  EXPECT_GT(calls_left, 0) << "the fixture's debates were killed after their last step";

  // The write upgraded the store: the list index is complete and the rest unchanged.
  auto after = run(bin + " doctor --data-dir " + sh_quote(data));
  EXPECT_EQ(after.code, 0) << after.out << after.err;
  EXPECT_NE(after.out.find("list index: complete"), std::string::npos) << after.out;
  auto relisted = statuses(json::parse(run(bin + " list --json --data-dir " + sh_quote(data)).out));
  EXPECT_EQ(relisted.size(), then.size());
  for (const auto& [id, status] : then)
    if (!at_kill.contains(id)) EXPECT_EQ(relisted[id], status) << id;
}

TEST_P(Upgrade, ANodeStartedOnTheStoreFinishesTheKilledDebatesAndServesTheRest) {
  auto dir = unpack();
  auto data = dir + "/data";
  auto config = dir + "/aragora.yaml";
  std::ofstream(config) << "memory:\n  enabled: false\nedge:\n  rate_limit_per_s: 0\n";
  test::child_process serve{bin, {"--config", config, "serve", "--port", "0", "--ws-port", "0", "--data-dir", data}};
  auto line = serve.read_line(20s);
  std::smatch m;
  ASSERT_TRUE(line && std::regex_search(*line, m, std::regex{"API http://127\\.0\\.0\\.1:([0-9]+)/api/v1"}))
      << line.value_or("(no line)");
  auto endpoint = "ws://127.0.0.1:" + std::string{m[1]};
  auto at_kill = read_json(dir + "/running.json").as_object();

  // It resumes what was running by itself; its API lists every debate of the old store.
  std::map<std::string, std::string> served;
  for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
    auto r = run(sh_quote(admin_bin) + " --endpoint " + endpoint + " --json debates --limit 100");
    ASSERT_EQ(r.code, 0) << r.err;
    served.clear();
    auto page = json::parse(r.out);
    for (const auto& d : page.at("debates").as_array())
      served[text(d.at("debate_id"))] = text(d.at("status"));
    bool done = true;
    for (const auto& [id, steps] : at_kill) done = done && served.count(std::string{id}) && served[std::string{id}] != "running";
    if (done) break;
    std::this_thread::sleep_for(200ms);
  }
  auto then = statuses(read_json(dir + "/list.json"));
  EXPECT_EQ(served.size(), then.size());
  for (const auto& [id, status] : then) EXPECT_TRUE(served.count(id)) << id;
  // The receipt its release printed, served whole by this build's API.
  auto printed = read_json(dir + "/receipt.json").as_object();
  auto port = static_cast<uint16_t>(std::stoi(m[1]));
  auto receipt = test::http(port, "GET", "/api/v1/debates/" + text(printed.at("debate_id")) + "/receipt");
  ASSERT_EQ(receipt.status, 200u) << receipt.body;
  auto served_receipt = json::parse(receipt.body).as_object();
  for (const auto& [key, value] : printed) EXPECT_EQ(served_receipt[key], value) << key;
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(20s), std::optional<int>{0});

  int64_t calls_left = 0;
  expect_finished(data, at_kill, &calls_left);
  EXPECT_GT(calls_left, 0);
  auto doctor = run(bin + " doctor --data-dir " + sh_quote(data));
  EXPECT_EQ(doctor.code, 0) << doctor.out << doctor.err;
}

// schema1-008bde9: the last build before schema 2 (hex debate ids, no list index).
// schema2-93c0294: the previous release (stop 20's landing).
INSTANTIATE_TEST_SUITE_P(Stores, Upgrade,
                         ::testing::Values("schema1-008bde9.tar.gz", "schema2-93c0294.tar.gz"),
                         [](const auto& info) {
                           auto name = info.param.substr(0, info.param.find('.'));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace aragora
