#include <fstream>
#include <iostream>
#include <sstream>

#include "actors/debate/canonical.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/receipt.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/crypto/sha256.hpp"

namespace aragora::cli {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

namespace {

std::string message_digest_hex(const v1::Message& m) {
  auto issues = debate::join_issues(m.critique().issues());
  return crypto::to_hex(debate::message_digest(debate::fields_of(m, issues)));
}

/// The transcript of a result must be exactly the messages the receipt lists.
std::string check_transcript(const v1::Receipt& receipt, const v1::DebateResult& result) {
  if (result.id() != receipt.debate_id())
    return "the result is debate " + result.id() + ", the receipt covers " + receipt.debate_id();
  if (result.messages_size() != receipt.messages_size())
    return "the result has " + std::to_string(result.messages_size()) +
           " messages, the receipt lists " + std::to_string(receipt.messages_size());
  for (int i = 0; i < result.messages_size(); ++i) {
    auto digest = message_digest_hex(result.messages(i));
    if (digest != receipt.messages(i).sha256())
      return "message " + std::to_string(i + 1) + " (" + result.messages(i).agent() + ", " +
             v1::Phase::Value_Name(result.messages(i).phase()) + ", round " +
             std::to_string(result.messages(i).round()) + ") does not match its receipt digest";
  }
  auto answer = result.final_answer().empty()
                    ? std::string{}
                    : crypto::to_hex(crypto::sha256(result.final_answer()));
  if (answer != receipt.final_answer_sha256()) return "the final answer does not match the receipt";
  return {};
}

}  // namespace

int run_verify(const verify_options& o) {
  std::string text;
  if (!read_file(o.receipt_file, text))
    return print_error(exit_usage, "unreadable", "cannot read " + o.receipt_file);
  v1::Receipt receipt;
  std::string parse_error;
  if (!debate::from_json(text, receipt, parse_error)) {
    std::cout << "invalid: malformed_receipt: " << parse_error << "\n";
    return exit_failed;
  }
  auto key = debate::signing_key_from_env();
  if (!key.error.empty()) return print_error(exit_usage, "bad_signing_key", key.error);
  auto r = debate::verify_receipt(receipt, key.key);
  if (!r.valid()) {
    std::cout << "invalid: " << debate::to_string(*r.error) << ": " << r.detail << "\n";
    return exit_failed;
  }
  if (!o.result_file.empty()) {
    std::string result_text;
    if (!read_file(o.result_file, result_text))
      return print_error(exit_usage, "unreadable", "cannot read " + o.result_file);
    v1::DebateResult result;
    if (!debate::from_json(result_text, result, parse_error)) {
      std::cout << "invalid: malformed_result: " << parse_error << "\n";
      return exit_failed;
    }
    if (auto problem = check_transcript(receipt, result); !problem.empty()) {
      std::cout << "invalid: transcript_mismatch: " << problem << "\n";
      return exit_failed;
    }
    r.detail += "; transcript of " + std::to_string(result.messages_size()) + " messages matches";
  }
  std::cout << "valid: " << receipt.receipt_id() << " (" << r.detail << ")\n";
  return exit_ok;
}

}  // namespace aragora::cli
