// `aragora ask` and `aragora verify` as a user runs them: a real subprocess, real files.

#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <fstream>
#include <thread>

#include "actors/debate/codec.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/json.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

using test::run;
using test::sh_quote;

const std::string bin = ARAGORA_BIN;

/// A data dir of this test process, removed at exit.
const std::string& data_dir() {
  static struct dir {
    std::string path = test::temp_path("data");
    ~dir() { std::system(("rm -rf " + path).c_str()); }
  } d;
  return d.path;
}

test::run_result ask(const std::string& args) {
  return run(bin + " ask --data-dir " + data_dir() + " " + args);
}

google::protobuf::Struct parse_object(const std::string& json) {
  return test::parse_json<google::protobuf::Struct>(json);
}

v1::DebateResult parse_result(const std::string& json) {
  return test::parse_json<v1::DebateResult>(json);
}

TEST(Readme, TheFirstCommandRunsADebateThroughScriptsRun) {
  auto r = run("BUILD_DIR=" + std::string{ARAGORA_BUILD_DIR} + " " + ARAGORA_SOURCE_DIR +
               "/scripts/run ask 'Should we adopt Kubernetes?' --data-dir " + data_dir());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Verdict: "), std::string::npos);
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
  ::unsetenv("OPENAI_API_KEY");  // the missing key case, even on a machine that has one
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
      {"'Q?' --agents gemini:pro,mock:critical", "unknown_agent"},
      {"'Q?' --agents openai:gpt-4,mock:critical", "missing_api_key"},
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

TEST_F(Receipts, AResultWithAnyFieldChangedIsRefused) {
  auto receipt = file("receipt.json");
  auto r = ask("'Should we adopt Kubernetes?' --json --receipt " + receipt);
  ASSERT_EQ(r.code, 0) << r.err;
  auto honest = parse_result(r.out);
  ASSERT_GT(honest.votes_size(), 0);
  auto verify_with = [&](const v1::DebateResult& result) {
    auto path = file("result.json");
    { std::ofstream(path) << debate::to_json(result); }
    return run(bin + " verify " + receipt + " --result " + path);
  };
  auto ok = verify_with(honest);
  EXPECT_EQ(ok.code, 0) << ok.out;
  // Fields the receipt states, and fields only the result digest covers.
  std::vector<std::pair<std::string, std::function<void(v1::DebateResult&)>>> edits{
      {"verdict", [](auto& x) { x.set_verdict(x.verdict() == v1::Verdict::approved ? v1::Verdict::rejected : v1::Verdict::approved); }},
      {"winner", [](auto& x) { x.set_winner("someone"); }},
      {"confidence", [](auto& x) { x.set_confidence(x.confidence() == 1.0 ? 0.5 : 1.0); }},
      {"question", [](auto& x) { x.set_question("Should we not?"); }},
      {"vote", [](auto& x) { x.mutable_votes(0)->set_confidence(0.01); }},
      {"method_used", [](auto& x) { x.set_method_used("unanimous"); }},
      {"dissent", [](auto& x) { x.add_dissenting_views()->set_agent("critical"); }},
      {"agents_failed", [](auto& x) { x.add_agents_failed("critical"); }},
      {"tokens", [](auto& x) { x.set_tokens_out(x.tokens_out() + 1); }},
      {"cost", [](auto& x) { x.set_cost_usd(x.cost_usd() == 12.5 ? 1 : 12.5); }},
      {"duration", [](auto& x) { x.set_duration_ms(x.duration_ms() == 12.5 ? 1 : 12.5); }},
      {"seed", [](auto& x) { x.set_seed(x.seed() + 1); }},
      {"error", [](auto& x) { x.set_error("none"); }},
  };
  for (const auto& [what, edit] : edits) {
    auto forged = honest;
    edit(forged);
    auto v = verify_with(forged);
    EXPECT_EQ(v.code, 1) << what << ": " << v.out;
    EXPECT_NE(v.out.find("invalid: result_mismatch"), std::string::npos) << what << ": " << v.out;
  }
}

TEST_F(Receipts, NonFiniteNumbersAreRefused) {
  auto receipt = file("receipt.json");
  ASSERT_EQ(ask("'Q?' --json --fail-rate 1 --receipt " + receipt).code, 0);
  auto text = test::slurp(receipt);
  auto at = text.find("\"confidence\": 0");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 15, "\"confidence\": \"NaN\"");
  auto forged = file("nan.json");
  { std::ofstream(forged) << text; }
  auto v = run(bin + " verify " + forged);
  EXPECT_EQ(v.code, 1);
  EXPECT_NE(v.out.find("invalid: non_finite_number"), std::string::npos) << v.out;
}

TEST_F(Receipts, AShownDebateChecksAgainstTheReceiptWrittenWhenItRan) {
  // `show` replays the stored log: the result it prints has the digest sealed at completion.
  auto receipt = file("receipt.json");
  auto r = ask("'Should we adopt Kubernetes?' --protocol full --json --receipt " + receipt);
  ASSERT_EQ(r.code, 0) << r.err;
  auto shown = run(bin + " show " + parse_result(r.out).id() + " --json --data-dir " + data_dir());
  ASSERT_EQ(shown.code, 0) << shown.err;
  auto result = file("shown.json");
  { std::ofstream(result) << shown.out; }
  auto v = run(bin + " verify " + receipt + " --result " + result);
  EXPECT_EQ(v.code, 0) << v.out;
}

TEST_F(Receipts, SignedReceiptsNeedTheKey) {
  auto receipt = file("signed.json");
  std::string key = "ARAGORA_RECEIPT_SIGNING_KEY=00112233445566778899aabbccddeeff ";
  auto r = run(key + bin + " ask 'Q?' --storage memory --json --receipt " + receipt);
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
  EXPECT_EQ(run("ARAGORA_RECEIPT_SIGNING_KEY=xyz " + bin + " ask 'Q?' --storage memory").code, 2);
  // Resumed debates seal receipts too: a malformed key is refused before anything runs.
  auto resume = run("ARAGORA_RECEIPT_SIGNING_KEY=xyz " + bin + " resume --data-dir " +
                    test::temp_path("resume-key"));
  EXPECT_EQ(resume.code, 2);
  EXPECT_NE(resume.err.find("error: bad_signing_key"), std::string::npos) << resume.err;
}

TEST(Ask, ConfigFileOverridesDefaults) {
  auto cfg = test::temp_path("aragora.yaml");
  { std::ofstream(cfg) << "debate:\n  rounds: 4\n"; }
  auto r = run(bin + " --config " + cfg + " ask 'Q?' --json --early-stop off --storage memory");
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

google::protobuf::Struct list_json(const std::string& dir) {
  auto r = run(bin + " list --json --data-dir " + dir);
  EXPECT_EQ(r.code, 0) << r.err;
  return parse_object(r.out);
}

TEST(History, AskedDebatesAreListedAndShownFromTheDataDir) {
  auto dir = test::temp_path("history");
  auto first = run(bin + " ask 'Should we adopt Kubernetes?' --json --data-dir " + dir);
  ASSERT_EQ(first.code, 0) << first.err;
  auto second = run(bin + " ask 'Should we go serverless?' --protocol full --json --data-dir " + dir);
  ASSERT_EQ(second.code, 0) << second.err;
  auto asked = parse_result(first.out);

  auto list = list_json(dir);
  const auto& debates = list.fields().at("debates").list_value();
  ASSERT_EQ(debates.values_size(), 2);
  const auto& e = debates.values(1).struct_value().fields();  // newest first
  for (const char* key : {"id", "question", "status", "verdict", "created_at"})
    EXPECT_TRUE(e.count(key)) << key;
  EXPECT_EQ(e.at("id").string_value(), asked.id());
  EXPECT_EQ(e.at("status").string_value(), "completed");
  EXPECT_EQ(e.at("question").string_value(), "Should we adopt Kubernetes?");

  auto shown = run(bin + " show " + asked.id() + " --json --data-dir " + dir);
  ASSERT_EQ(shown.code, 0) << shown.err;
  auto result = parse_result(shown.out);
  EXPECT_EQ(result.messages_size(), asked.messages_size());
  EXPECT_EQ(result.verdict(), asked.verdict());
  EXPECT_EQ(result.receipt().sha256(), asked.receipt().sha256());
  for (int i = 0; i < result.messages_size(); ++i)
    EXPECT_EQ(result.messages(i).text(), asked.messages(i).text());
  auto text = run(bin + " show " + asked.id() + " --data-dir " + dir);
  EXPECT_NE(text.out.find("Verdict: "), std::string::npos);

  auto missing = run(bin + " show 0000000000000000 --data-dir " + dir);
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("debate_not_found"), std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}

TEST(History, AKilledDebateIsResumedWithoutRepeatingItsCompletedSteps) {
  auto dir = test::temp_path("resume");
  // 5 rounds of 3 steps at 200 ms, killed once round 2 has begun: mid-debate, with round 1
  // on disk. Paced by its output rather than a clock, which a slower build (ASan) outruns.
  {
    test::child_process ask{bin, {"ask", "Should we adopt Kubernetes?", "--rounds", "5", "--early-stop", "off",
                                  "--latency-ms", "200", "--data-dir", dir}};
    bool round_two = false;
    while (auto line = ask.read_line(std::chrono::seconds{30}))
      if (line->find("-- Round 2 --") != std::string::npos) {
        round_two = true;
        break;
      }
    ASSERT_TRUE(round_two) << "the debate never reached round 2";
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    ask.signal(SIGKILL);
    EXPECT_EQ(ask.wait(std::chrono::seconds{10}), 128 + 9);
  }
  auto before = list_json(dir).fields().at("debates").list_value();
  ASSERT_EQ(before.values_size(), 1);
  EXPECT_EQ(before.values(0).struct_value().fields().at("status").string_value(), "running");
  auto id = before.values(0).struct_value().fields().at("id").string_value();

  auto partial = parse_result(run(bin + " show " + id + " --json --data-dir " + dir).out);
  const int on_disk = partial.messages_size();
  EXPECT_GT(on_disk, 0) << "the kill landed before the first step was written";
  EXPECT_LT(on_disk, 60);

  auto resumed = run(bin + " resume --json --data-dir " + dir);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  auto report = parse_object(resumed.out).fields();
  EXPECT_EQ(report.at("resumed").number_value(), 1);
  EXPECT_EQ(report.at("completed").number_value(), 1);
  // 5 x 12 calls in all; the steps finished before the kill were not run again.
  EXPECT_EQ(report.at("agent_calls_made").number_value(), 60 - on_disk);

  auto shown = parse_result(run(bin + " show " + id + " --json --data-dir " + dir).out);
  EXPECT_EQ(shown.agent_calls(), 60u);
  EXPECT_EQ(shown.messages_size(), 60);
  EXPECT_EQ(shown.rounds_used(), 5u);
  EXPECT_NE(shown.status(), v1::Status::running);
  auto again = parse_object(run(bin + " resume --json --data-dir " + dir).out).fields();
  EXPECT_EQ(again.at("resumed").number_value(), 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST(History, CommandsWithoutADataDirUseTheConfiguredOne) {
  auto dir = test::temp_path("configured");
  auto cfg = test::temp_path("storage.yaml");
  { std::ofstream(cfg) << "storage:\n  data_dir: " << dir << "\n"; }
  ASSERT_EQ(run(bin + " --config " + cfg + " ask 'Q?' --json").code, 0);
  auto list = run(bin + " --config " + cfg + " list --json");
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(parse_object(list.out).fields().at("debates").list_value().values_size(), 1);
  std::system(("rm -rf " + dir + " " + cfg).c_str());
}

TEST(History, AnUnreadableDataDirIsAClearError) {
  auto dir = test::temp_path("notadb");
  std::system(("mkdir -p " + dir + " && echo garbage > " + dir + "/CURRENT").c_str());
  auto r = run(bin + " list --data-dir " + dir);
  EXPECT_EQ(r.code, 1);
  // A CURRENT file that does not name a manifest: a damaged store, which nothing rewrites.
  EXPECT_NE(r.err.find("storage_corrupt"), std::string::npos) << r.err;
  EXPECT_EQ(test::slurp(dir + "/CURRENT"), "garbage\n");
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace aragora
