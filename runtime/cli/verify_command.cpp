#include <fstream>
#include <iostream>
#include <sstream>

#include "actors/debate/codec.hpp"
#include "actors/debate/receipt.hpp"
#include "runtime/cli/commands.hpp"

namespace aragora::cli {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

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
    auto checked = debate::check_result(receipt, result);
    if (!checked.valid()) {
      std::cout << "invalid: " << debate::to_string(*checked.error) << ": " << checked.detail
                << "\n";
      return exit_failed;
    }
    r.detail += "; " + checked.detail;
  }
  std::cout << "valid: " << receipt.receipt_id() << " (" << r.detail << ")\n";
  return exit_ok;
}

}  // namespace aragora::cli
