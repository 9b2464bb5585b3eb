#pragma once
// A stand-in for an LLM API on loopback (tests only; no internet here): answers each request
// with whatever the test's handler says, in the OpenAI-compatible or Anthropic wire format or
// broken on purpose (statuses, Retry-After, slow, malformed, streams cut in the middle, never
// answering). Plain POSIX sockets, a thread per connection; it records every request.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aragora::test {

struct llm_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  [[nodiscard]] std::string header(std::string_view lower_name) const;
};

struct llm_reply {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides the framing ones
  std::vector<std::string> chunks;                           // the body, sent piece by piece
  std::chrono::milliseconds delay{0};        // before the status line
  std::chrono::milliseconds chunk_delay{0};  // between pieces
  bool chunked = false;  // Transfer-Encoding: chunked (a stream); else Content-Length
  bool cut = false;      // the connection closes before the last piece
  bool hang = false;     // no answer until the server stops
};

class fake_llm_server {
public:
  using handler = std::function<llm_reply(const llm_request&)>;

  explicit fake_llm_server(handler h);
  ~fake_llm_server();

  [[nodiscard]] uint16_t port() const;
  [[nodiscard]] std::string base_url(std::string_view path = "/v1") const;
  [[nodiscard]] std::vector<llm_request> requests() const;
  [[nodiscard]] size_t request_count() const;
  void set_handler(handler h);

  struct state;

private:
  std::shared_ptr<state> s_;
};

/// Replies in the two formats.
[[nodiscard]] llm_reply openai_reply(std::string_view text, unsigned tokens_in = 10, unsigned tokens_out = 5);
[[nodiscard]] llm_reply openai_stream(const std::vector<std::string>& pieces, unsigned tokens_in = 10,
                                      unsigned tokens_out = 5);
[[nodiscard]] llm_reply anthropic_reply(std::string_view text, unsigned tokens_in = 10, unsigned tokens_out = 5);
[[nodiscard]] llm_reply anthropic_stream(const std::vector<std::string>& pieces, unsigned tokens_in = 10,
                                         unsigned tokens_out = 5);
[[nodiscard]] llm_reply error_reply(unsigned status, std::string_view message,
                                    std::vector<std::pair<std::string, std::string>> headers = {});
/// How debating_reply answers.
struct debating_style {
  std::string proposal = "Adopt it in stages, starting with the stateless services.";
  unsigned tokens_in = 10;
  unsigned tokens_out = 5;
  size_t piece = 0;  // a streamed reply's pieces, in bytes (0: one piece)
  std::chrono::milliseconds chunk_delay{0};
};

/// What a cooperative model answers to the runtime's prompts, read from their instructions (the
/// texts quoted above them may say anything): a vote or judgement for the first candidate
/// offered, a mild critique, else the proposal; streamed when the request asks, in Anthropic's
/// format or OpenAI's.
[[nodiscard]] llm_reply debating_reply(const llm_request& r, bool anthropic, const debating_style& style = {});

/// No answer at all, until the server stops.
[[nodiscard]] llm_reply hanging_reply();
/// A JSON string literal of `s` (quotes included).
[[nodiscard]] std::string json_quote(std::string_view s);

}  // namespace aragora::test
