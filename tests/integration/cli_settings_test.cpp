// The settings table as a user meets it through `aragora`: the same refusal for a flag and its
// YAML key, `aragora config defaults`, the default data dir, debate ids. Real subprocesses.

#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/support/json.hpp"
#include "tests/support/scratch.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

namespace fs = std::filesystem;
using test::run;
using test::sh_quote;

const std::string bin = ARAGORA_BIN;

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

std::vector<std::string> listed_ids(const std::string& out) {
  auto list = test::parse_json<google::protobuf::Struct>(out);
  std::vector<std::string> ids;
  if (!list.fields().count("debates")) return ids;
  for (const auto& d : list.fields().at("debates").list_value().values())
    ids.push_back(d.struct_value().fields().at("id").string_value());
  return ids;
}

class CliSettings : public test::scratch_test {
protected:
  /// An empty directory of this test.
  std::string dir(const std::string& stem) {
    auto p = path(stem);
    fs::create_directories(p);
    return p;
  }
};

// -- one table, one check --------------------------------------------------------------------

TEST_F(CliSettings, AFlagAndItsYamlKeyRefuseTheSameValueWithTheSameLine) {
  struct setting {
    std::string command;  // ask or benchmark
    std::string flag;
    std::string key;
    std::string value;
    std::string code;
  };
  // The mock latency was capped at 1 h in YAML and at 24 h on the command line; --latency-ms -1
  // was bad_duration for ask and bad_count for benchmark.
  for (const auto& s : std::vector<setting>{
           {"ask", "--rounds", "debate.rounds", "13", "rounds_out_of_range"},
           {"ask", "--rounds", "debate.rounds", "0", "rounds_out_of_range"},
           {"ask", "--threshold", "debate.consensus_threshold", "1.5", "bad_threshold"},
           {"ask", "--threshold", "debate.consensus_threshold", "0", "bad_threshold"},
           {"ask", "--threshold", "debate.consensus_threshold", "4/3", "bad_threshold"},
           {"ask", "--seed", "debate.seed", "4294967296", "bad_seed"},
           {"ask", "--seed", "debate.seed", "-7", "bad_seed"},
           {"ask", "--fail-rate", "mock.fail_rate", "1.5", "bad_fail_rate"},
           {"ask", "--message-bytes", "mock.message_bytes", "16777217", "bad_count"},
           {"ask", "--latency-ms", "mock.latency_ms", "86400001", "bad_duration"},
           {"ask", "--agent-timeout-ms", "debate.agent_timeout_ms", "0", "bad_duration"},
           {"benchmark", "--latency-ms", "mock.latency_ms", "-1", "bad_duration"},
           {"benchmark", "--rounds", "debate.rounds", "13", "rounds_out_of_range"},
       }) {
    SCOPED_TRACE(s.command + " " + s.flag + " " + s.value);
    auto args = s.command == "ask" ? " ask 'Q?' --storage memory --json" : " benchmark --json";
    auto by_flag = run(bin + args + " " + s.flag + " " + s.value);
    auto by_yaml = run(bin + " --config " + config(s.key + ": " + s.value + "\n") + args);
    EXPECT_EQ(by_flag.code, 2);
    EXPECT_EQ(by_yaml.code, 2);
    EXPECT_EQ(by_flag.err.rfind("error: " + s.code + ": ", 0), 0u) << by_flag.err;
    EXPECT_EQ(by_yaml.err, by_flag.err);
    EXPECT_NE(by_flag.err.find(s.key), std::string::npos) << "names the key";
    EXPECT_NE(by_flag.err.find(s.flag), std::string::npos) << "names the flag";
    EXPECT_TRUE(by_flag.out.empty());
  }
}

TEST_F(CliSettings, AThresholdMayBeAnExactFraction) {
  auto r = run(bin + " ask 'Q?' --storage memory --json --threshold 2/3 --rounds 1");
  EXPECT_EQ(r.code, 0) << r.err;
  auto cfg = config("debate:\n  supermajority_threshold: 2/3\n  consensus_threshold: 3/5\n");
  r = run(bin + " --config " + cfg + " ask 'Q?' --storage memory --json --rounds 1");
  EXPECT_EQ(r.code, 0) << r.err;
}

// The example file is what `aragora config defaults` prints: generated from the table.
TEST_F(CliSettings, ConfigDefaultsPrintsTheExampleFile) {
  auto r = run(bin + " config defaults");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, file_text(std::string{ARAGORA_SOURCE_DIR} + "/cluster-config/single-node.yaml"));
  EXPECT_NE(r.out.find("supermajority_threshold: 2/3"), std::string::npos);
  // And it loads, as the configuration of a run.
  auto cfg = config(r.out);
  auto ask = run(bin + " --config " + cfg + " ask 'Q?' --storage memory --json --rounds 1");
  EXPECT_EQ(ask.code, 0) << ask.err;
  EXPECT_EQ(run(bin + " config").code, 2) << "config needs a subcommand";
}

// -- the default data dir -----------------------------------------------------------------------

TEST_F(CliSettings, TheDefaultDataDirIsUnderXdgDataHomeNotTheCurrentDirectory) {
  auto cwd = dir("cwd");
  auto xdg = path("xdg");  // missing: created on the first ask
  auto env = "cd " + cwd + " && env XDG_DATA_HOME=" + xdg + " HOME=/dev/null/no-home ";
  auto asked = run(env + bin + " ask 'Should we adopt Kubernetes?' --json");
  ASSERT_EQ(asked.code, 0) << asked.err;
  EXPECT_TRUE(fs::exists(xdg + "/aragora/CURRENT"));
  EXPECT_TRUE(fs::is_empty(cwd)) << "nothing is written where the command runs";
  struct stat st{};
  ASSERT_EQ(::stat(xdg.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "a base directory made for user data is private";
  auto id = test::parse_json<google::protobuf::Struct>(asked.out).fields().at("id").string_value();
  auto list = run(env + bin + " list --json");
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(listed_ids(list.out), std::vector<std::string>{id});
  EXPECT_EQ(run(env + bin + " show " + id + " --json").code, 0);
}

TEST_F(CliSettings, WithoutXdgDataHomeTheDefaultIsUnderHome) {
  auto home = dir("home");
  auto env = "env -u XDG_DATA_HOME HOME=" + home + " ";
  auto asked = run(env + bin + " ask 'Q?' --json --rounds 1");
  ASSERT_EQ(asked.code, 0) << asked.err;
  EXPECT_TRUE(fs::exists(home + "/.local/share/aragora/CURRENT"));
  // A relative XDG_DATA_HOME is ignored (XDG spec), not taken relative to the current directory.
  auto cwd = dir("cwd");
  auto relative = run("cd " + cwd + " && env XDG_DATA_HOME=data HOME=" + home + " " + bin +
                      " list --json");
  EXPECT_EQ(relative.code, 0) << relative.err;
  EXPECT_EQ(listed_ids(relative.out).size(), 1u);
  EXPECT_TRUE(fs::is_empty(cwd));
}

TEST_F(CliSettings, DataDirFlagBeatsTheYamlWhichBeatsTheEnvironment) {
  auto xdg = dir("xdg");
  auto env = "env XDG_DATA_HOME=" + xdg + " ";
  auto from_yaml = path("yaml-data");
  auto cfg = config("storage:\n  data_dir: " + from_yaml + "\n");
  auto by_yaml = run(env + bin + " --config " + cfg + " ask 'Q?' --json --rounds 1");
  ASSERT_EQ(by_yaml.code, 0) << by_yaml.err;
  EXPECT_TRUE(fs::exists(from_yaml + "/CURRENT"));
  auto from_flag = path("flag-data");
  auto by_flag = run(env + bin + " --config " + cfg + " ask 'Q?' --json --rounds 1 --data-dir " +
                     from_flag);
  ASSERT_EQ(by_flag.code, 0) << by_flag.err;
  EXPECT_TRUE(fs::exists(from_flag + "/CURRENT"));
  EXPECT_FALSE(fs::exists(xdg + "/aragora")) << "the environment was not used";
  EXPECT_EQ(listed_ids(run(env + bin + " list --json --data-dir " + from_yaml).out).size(), 1u);
  EXPECT_EQ(listed_ids(run(env + bin + " list --json --data-dir " + from_flag).out).size(), 1u);
}

TEST_F(CliSettings, CommandsThatDoNotStoreCreateNothingInTheDefaultPlace) {
  auto xdg = path("xdg");
  auto env = "env XDG_DATA_HOME=" + xdg + " ";
  auto list = run(env + bin + " list --json");
  EXPECT_EQ(list.code, 1);
  EXPECT_NE(list.err.find("data_dir_not_found"), std::string::npos) << list.err;
  EXPECT_NE(list.err.find(xdg + "/aragora"), std::string::npos) << "names the place it looked";
  EXPECT_EQ(run(env + bin + " ask 'Q?' --storage memory --json --rounds 1").code, 0);
  EXPECT_EQ(run(env + bin + " benchmark --json").code, 0);
  EXPECT_FALSE(fs::exists(xdg));
}

// -- debate ids -----------------------------------------------------------------------------------

TEST_F(CliSettings, DebateIdsSortByCreationAndShowTakesOldAndNewOnes) {
  auto data = path("data");
  std::vector<std::string> asked;
  for (int i = 0; i < 3; ++i) {
    auto r = run(bin + " ask 'Q?' --json --rounds 1 --data-dir " + data);
    ASSERT_EQ(r.code, 0) << r.err;
    asked.push_back(
        test::parse_json<google::protobuf::Struct>(r.out).fields().at("id").string_value());
  }
  for (const auto& id : asked) {
    EXPECT_EQ(id.size(), 26u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos) << id;
  }
  EXPECT_LT(asked[0], asked[1]);
  EXPECT_LT(asked[1], asked[2]);
  EXPECT_EQ(listed_ids(run(bin + " list --json --data-dir " + data).out),
            std::vector<std::string>(asked.rbegin(), asked.rend()))
      << "listed newest first";
  EXPECT_EQ(run(bin + " show " + asked[1] + " --json --data-dir " + data).code, 0);
  // An id of a store written before (16 hex digits) is an id: looked up, not refused.
  auto old = run(bin + " show 0190a1b2c3d4e5f6 --data-dir " + data);
  EXPECT_EQ(old.code, 1);
  EXPECT_NE(old.err.find("error: debate_not_found"), std::string::npos) << old.err;
  for (const std::string& bad :
       std::vector<std::string>{"../etc", "a/b", "a.b", std::string(65, 'a')}) {
    auto r = run(bin + " show " + sh_quote(bad) + " --data-dir " + data);
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find("error: bad_debate_id"), std::string::npos) << bad << ": " << r.err;
  }
}

}  // namespace
}  // namespace aragora
