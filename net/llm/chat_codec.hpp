#pragma once
// The two chat wire formats real agents speak, as bytes: the OpenAI-compatible chat completions
// API (OpenAI, OpenRouter, Ollama, llama.cpp server, vLLM, LM Studio) and the Anthropic Messages
// API. Requests are built, replies (whole or streamed as server-sent events) decoded, and error
// bodies reduced to their message. Pure: no socket, no actor; the HTTP client sends the bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/llm/sse_parser.hpp"
#include "runtime/base/error/error.hpp"

namespace aragora::llm {

enum class wire_format : uint8_t { openai, anthropic };

[[nodiscard]] std::string_view to_string(wire_format f);

/// Why a reply could not be used. Stable codes: they appear in call errors.
enum class llm_errc : uint8_t {
  bad_json = 1,   // the body (or a stream event) is not the JSON the format promises
  no_content,     // well-formed, but without the reply text
  api_error,      // the API answered with an error object (in a stream, or with status 200)
  stream_broken,  // the stream ended (or passed its size bound) before its end
  too_long,       // a streamed reply passed its bound (a model that does not stop)
};

[[nodiscard]] std::string_view to_string(llm_errc x);

using llm_error = error<llm_errc>;

struct chat_request {
  std::string model;
  std::string system;  // the agent's role; empty for none
  std::string prompt;  // the user turn
  uint32_t max_tokens = 1024;
  double temperature = 0.7;
  bool stream = false;
  // OpenAI's reasoning models (o1, o3, o4, gpt-5...) refuse `max_tokens` and any temperature but
  // 1: they get `max_completion_tokens` and no temperature.
  bool reasoning_model = false;
  // Ask for the usage in a stream's last chunk (OpenAI's stream_options; some older compatible
  // servers refuse the field).
  bool stream_usage = true;
};

/// Whether an OpenAI model name is one of its reasoning models.
[[nodiscard]] bool openai_reasoning_model(std::string_view model);

struct usage {
  uint32_t tokens_in = 0;
  uint32_t tokens_out = 0;
};

struct chat_reply {
  std::string text;
  usage used;
  std::string finish_reason;  // "stop", "length", "end_turn", "max_tokens"...
};

/// The request body (JSON) for the format's endpoint: /chat/completions or /messages. A streamed
/// OpenAI request asks for the usage in its last chunk.
[[nodiscard]] std::string encode_request(wire_format f, const chat_request& r);

/// The path after the base URL: "/chat/completions" or "/messages".
[[nodiscard]] std::string_view endpoint_path(wire_format f);

/// A whole (not streamed) reply body.
[[nodiscard]] expected<chat_reply, llm_errc> decode_reply(wire_format f, std::string_view body);

/// The message of an API's error body (`{"error": {"message": ...}}` in both formats, or a plain
/// string), cut to `max` bytes; the body itself, cut, when it has none.
[[nodiscard]] std::string error_message(std::string_view body, size_t max = 300);

/// A streamed reply, one server-sent event at a time.
class stream_decoder {
public:
  /// `max_text_bytes`: past it the stream fails with too_long.
  explicit stream_decoder(wire_format f, size_t max_text_bytes = size_t{256} << 10)
      : format_(f), max_text_(max_text_bytes) {}

  /// Takes one event: its text (if any) is left in `delta` (cleared otherwise) and appended to
  /// the reply. An error event or an event that does not parse fails the stream.
  [[nodiscard]] std::optional<llm_error> on_event(const sse_event& e, std::string& delta);

  /// The stream said it is complete ([DONE], message_stop).
  [[nodiscard]] bool done() const { return done_; }
  [[nodiscard]] const chat_reply& reply() const { return reply_; }
  [[nodiscard]] chat_reply take_reply() { return std::move(reply_); }

private:
  wire_format format_;
  size_t max_text_;
  chat_reply reply_;
  bool done_ = false;
};

}  // namespace aragora::llm
