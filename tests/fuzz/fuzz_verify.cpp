// Fuzz target: what `aragora verify` reads. The input is a receipt JSON, optionally followed by a
// NUL byte and a result JSON; both go through the same calls as the command: from_json,
// verify_receipt (unsigned and with a key) and check_result. No crash, no hang, no abort.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/debate/codec.hpp"
#include "actors/debate/receipt.hpp"
#include "aragora/v1/debate.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aragora;
  std::string_view in{reinterpret_cast<const char*>(data), size};
  auto cut = in.find('\0');
  std::string receipt_json{in.substr(0, cut)};
  std::string result_json{cut == std::string_view::npos ? std::string_view{} : in.substr(cut + 1)};
  std::string error;
  v1::Receipt receipt;
  bool have_receipt = debate::from_json(receipt_json, receipt, error);
  if (have_receipt) {
    (void)debate::verify_receipt(receipt, std::nullopt);
    (void)debate::verify_receipt(receipt, std::string(32, '\x5a'));
  }
  v1::DebateResult result;
  if (!result_json.empty() && debate::from_json(result_json, result, error) && have_receipt)
    (void)debate::check_result(receipt, result);
  return 0;
}
