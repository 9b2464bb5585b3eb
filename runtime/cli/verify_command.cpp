#include <iostream>

#include "actors/debate/codec.hpp"
#include "actors/debate/receipt.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/terminal.hpp"
#include "runtime/base/defaults.hpp"

namespace aragora::cli {

int run_verify(const verify_options& o) {
  auto text = read_input_file(o.receipt_file, defaults::max_verify_file_bytes);
  if (!text) return exit_usage;
  v1::Receipt receipt;
  std::string parse_error;
  if (!debate::from_json(*text, receipt, parse_error)) {
    std::cout << "invalid: malformed_receipt: " << printable(parse_error) << "\n";
    return exit_failed;
  }
  auto key = signing_key_from_env();
  if (!key) return print_error(exit_usage, key.error().code_name(), key.error().message);
  auto r = debate::verify_receipt(receipt, *key);
  if (!r.valid()) {
    // The details quote the receipt's own text, which must not drive the terminal (a forged
    // "\rvalid: ..." would read as valid while the exit code says otherwise).
    std::cout << "invalid: " << debate::to_string(*r.error) << ": " << printable(r.detail) << "\n";
    return exit_failed;
  }
  if (!o.result_file.empty()) {
    auto result_text = read_input_file(o.result_file, defaults::max_verify_file_bytes);
    if (!result_text) return exit_usage;
    v1::DebateResult result;
    if (!debate::from_json(*result_text, result, parse_error)) {
      std::cout << "invalid: malformed_result: " << printable(parse_error) << "\n";
      return exit_failed;
    }
    auto checked = debate::check_result(receipt, result);
    if (!checked.valid()) {
      std::cout << "invalid: " << debate::to_string(*checked.error) << ": "
                << printable(checked.detail) << "\n";
      return exit_failed;
    }
    r.detail += "; " + checked.detail;
  }
  std::cout << "valid: " << printable(receipt.receipt_id()) << " (" << printable(r.detail) << ")\n";
  return exit_ok;
}

}  // namespace aragora::cli
