// `aragora ask` and `aragora verify` as a user runs them: a real subprocess, real files.

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "actors/debate/codec.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

using test::run;
using test::sh_quote;

const std::string bin = ARAGORA_BIN;

test::run_result ask(const std::string& args) {
  return run(bin + " ask " + args);
}

google::protobuf::Struct parse_object(const std::string& json) {
  google::protobuf::Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(json, &s);
  EXPECT_TRUE(status.ok()) << status.message() << "\n" << json;
  return s;
}

v1::DebateResult parse_result(const std::string& json) {
  v1::DebateResult r;
  std::string err;
  EXPECT_TRUE(debate::from_json(json, r, err)) << err;
  return r;
}

TEST(Ask, StreamsTheDebateAndPrintsTheVerdict) {
  auto r = ask("'Should we adopt Kubernetes?'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Question: Should we adopt Kubernetes?"), std::string::npos);
  EXPECT_NE(r.out.find("-- Round 1 --"), std::string::npos);
  EXPECT_NE(r.out.find("votes for"), std::string::npos);
  EXPECT_NE(r.out.find("Verdict: "), std::string::npos);
  EXPECT_NE(r.out.find("Receipt: DR-"), std::string::npos);
  EXPECT_EQ(r.out.find("\x1b["), std::string::npos) << "no colors without a terminal";
}

TEST(Ask, JsonIsExactlyOneObjectWithTheResultFields) {
  auto r = ask("'Should we adopt Kubernetes?' --json --rounds 2 --early-stop off");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line";
  auto obj = parse_object(r.out);
  const auto& f = obj.fields();
  for (const char* key : {"verdict", "confidence", "consensus_reached", "status", "rounds_used",
                          "agent_calls", "messages", "receipt", "winner", "final_answer",
                          "dissenting_views", "agents_requested", "agents_failed",
                          "agents_contributing", "tokens_in", "tokens_out", "cost_usd",
                          "duration_ms"})
    EXPECT_TRUE(f.count(key)) << key;
  EXPECT_EQ(f.at("agent_calls").number_value(), 24);
  EXPECT_EQ(f.at("rounds_used").number_value(), 2);
  EXPECT_EQ(f.at("messages").list_value().values_size(), 24);
  const auto& receipt = f.at("receipt").struct_value().fields();
  EXPECT_TRUE(receipt.count("id"));
  EXPECT_EQ(receipt.at("sha256").string_value().size(), 64u);
  const auto& msg = f.at("messages").list_value().values(0).struct_value().fields();
  for (const char* key : {"round", "phase", "agent", "target", "text", "timestamp"})
    EXPECT_TRUE(msg.count(key)) << key;
  EXPECT_EQ(msg.at("phase").string_value(), "propose");
}

TEST(Ask, SameSeedSameTranscript) {
  auto a = parse_result(ask("'Q?' --json --seed 9 --rounds 3 --early-stop off").out);
  auto b = parse_result(ask("'Q?' --json --seed 9 --rounds 3 --early-stop off").out);
  auto c = parse_result(ask("'Q?' --json --seed 10 --rounds 3 --early-stop off").out);
  ASSERT_EQ(a.messages_size(), 36);
  ASSERT_EQ(a.messages_size(), b.messages_size());
  bool differs_from_c = false;
  for (int i = 0; i < a.messages_size(); ++i) {
    EXPECT_EQ(a.messages(i).text(), b.messages(i).text());
    EXPECT_EQ(a.messages(i).agent(), b.messages(i).agent());
    EXPECT_EQ(a.messages(i).target(), b.messages(i).target());
    differs_from_c |= a.messages(i).text() != c.messages(i).text();
  }
  EXPECT_TRUE(differs_from_c);
  EXPECT_EQ(a.verdict(), b.verdict());
  EXPECT_EQ(a.confidence(), b.confidence());
}

TEST(Ask, BadInputIsAClearErrorWithExitCodeTwo) {
  struct bad {
    std::string args;
    std::string code;
  };
  std::vector<bad> cases{
      {"''", "empty_question"},
      {"'   '", "empty_question"},
      {sh_quote(std::string(10'001, 'q')), "question_too_long"},
      {"'Q?' --rounds 0", "rounds_out_of_range"},
      {"'Q?' --rounds 13", "rounds_out_of_range"},
      {"'Q?' --rounds -2", "rounds_out_of_range"},
      {"'Q?' --rounds many", "bad_usage"},
      {"'Q?' --agents openai:gpt-4,mock:critical", "unknown_agent"},
      {"'Q?' --agents mock:sarcastic,mock:critical", "unknown_agent"},
      {"'Q?' --agents mock:critical", "too_few_agents"},
      {"'Q?' --protocol medium", "bad_protocol"},
      {"'Q?' --consensus loudest", "bad_consensus"},
      {"'Q?' --early-stop maybe", "bad_early_stop"},
      {"'Q?' --fail-rate 1.5", "bad_fail_rate"},
      {"'Q?' --no-such-flag", "bad_usage"},
      {"", "bad_usage"},
  };
  for (const auto& c : cases) {
    auto r = ask(c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_NE(r.err.find("error: " + c.code), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args;
  }
  // Exactly 10,000 characters is allowed.
  EXPECT_EQ(ask(sh_quote(std::string(10'000, 'q')) + " --json").code, 0);
}

TEST(Ask, AllAgentsFailingIsReportedNotHidden) {
  auto r = ask("'Q?' --json --fail-rate 1");
  ASSERT_EQ(r.code, 0) << r.err;
  auto res = parse_result(r.out);
  EXPECT_EQ(res.status(), v1::Status::failed);
  EXPECT_EQ(res.verdict(), v1::Verdict::rejected);
  EXPECT_EQ(res.confidence(), 0.0);
  EXPECT_EQ(res.agents_failed_size(), 3);
  EXPECT_EQ(res.agents_contributing_size(), 0);
}

class Receipts : public ::testing::Test {
protected:
  void TearDown() override {
    for (const auto& f : files_) std::remove(f.c_str());
  }
  std::string file(const std::string& stem) {
    files_.push_back(test::temp_path(stem));
    return files_.back();
  }
  std::vector<std::string> files_;
};

TEST_F(Receipts, AWrittenReceiptVerifiesAndATamperedOneDoesNot) {
  auto receipt = file("receipt.json");
  auto result = file("result.json");
  auto r = ask("'Should we adopt Kubernetes?' --json --receipt " + receipt);
  ASSERT_EQ(r.code, 0) << r.err;
  { std::ofstream(result) << r.out; }
  auto ok = run(bin + " verify " + receipt);
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("valid: DR-"), std::string::npos);
  auto with_transcript = run(bin + " verify " + receipt + " --result " + result);
  EXPECT_EQ(with_transcript.code, 0) << with_transcript.out;

  // Change the verdict in the receipt.
  auto text = test::slurp(receipt);
  auto pos = text.find("\"verdict\": \"");
  ASSERT_NE(pos, std::string::npos);
  auto tampered = file("tampered.json");
  auto end = text.find('"', pos + 12);
  { std::ofstream(tampered) << text.substr(0, pos + 12) + "approved" + text.substr(end); }
  auto bad = run(bin + " verify " + tampered);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("invalid: digest_mismatch"), std::string::npos) << bad.out;

  // Change one message of the transcript.
  auto res = test::slurp(result);
  auto at = res.find("Should we adopt Kubernetes?", res.find("\"messages\""));
  ASSERT_NE(at, std::string::npos);
  res.replace(at, 6, "Shall ");
  auto forged = file("forged.json");
  { std::ofstream(forged) << res; }
  auto mismatch = run(bin + " verify " + receipt + " --result " + forged);
  EXPECT_EQ(mismatch.code, 1);
  EXPECT_NE(mismatch.out.find("transcript_mismatch"), std::string::npos) << mismatch.out;

  // Not a receipt at all.
  auto junk = file("junk.json");
  { std::ofstream(junk) << "{\"hello\": "; }
  EXPECT_EQ(run(bin + " verify " + junk).code, 1);
  EXPECT_EQ(run(bin + " verify /nonexistent/receipt.json").code, 2);
}

TEST_F(Receipts, SignedReceiptsNeedTheKey) {
  auto receipt = file("signed.json");
  std::string key = "ARAGORA_RECEIPT_SIGNING_KEY=00112233445566778899aabbccddeeff ";
  auto r = run(key + bin + " ask 'Q?' --json --receipt " + receipt);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(test::slurp(receipt).find("HMAC-SHA256"), std::string::npos);
  EXPECT_EQ(run(key + bin + " verify " + receipt).code, 0);
  auto no_key = run("env -u ARAGORA_RECEIPT_SIGNING_KEY " + bin + " verify " + receipt);
  EXPECT_EQ(no_key.code, 1);
  EXPECT_NE(no_key.out.find("missing_key"), std::string::npos);
  auto wrong = run("ARAGORA_RECEIPT_SIGNING_KEY=ffeeddccbbaa99887766554433221100 " + bin +
                   " verify " + receipt);
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.out.find("signature_mismatch"), std::string::npos);
  EXPECT_EQ(run("ARAGORA_RECEIPT_SIGNING_KEY=xyz " + bin + " ask 'Q?'").code, 2);
}

TEST(Ask, ConfigFileOverridesDefaults) {
  auto cfg = test::temp_path("aragora.yaml");
  { std::ofstream(cfg) << "debate:\n  rounds: 4\n"; }
  auto r = run(bin + " --config " + cfg + " ask 'Q?' --json --early-stop off");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_result(r.out).rounds_used(), 4u);
  { std::ofstream(cfg) << "debate:\n  roundz: 4\n"; }
  auto bad = run(bin + " --config " + cfg + " ask 'Q?'");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("config_unknown_key"), std::string::npos);
  std::remove(cfg.c_str());
}

TEST(Ask, FullProtocolWithJudge) {
  auto r = ask("'Q?' --json --protocol full --rounds 2 --early-stop off");
  ASSERT_EQ(r.code, 0) << r.err;
  auto res = parse_result(r.out);
  EXPECT_EQ(res.agent_calls(), 3u + 2 * 9 + 3 + 1);
  EXPECT_EQ(res.method_used(), "judge");
  EXPECT_FALSE(res.judge().empty());
  EXPECT_EQ(res.convergence().status(), v1::ConvergenceStatus::converged);
}

}  // namespace
}  // namespace aragora
