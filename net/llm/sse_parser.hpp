#pragma once
// Server-sent events (text/event-stream), the streaming replies of the OpenAI-compatible and
// Anthropic APIs, parsed as bytes arrive, split anywhere. Pure and bounded: an event larger than
// the limit fails the stream instead of growing a buffer.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace aragora::llm {

struct sse_event {
  std::string name;  // "message" when the stream names none
  std::string data;  // its data lines joined by '\n'
};

class sse_parser {
public:
  explicit sse_parser(size_t max_event_bytes = size_t{1} << 20) : max_(max_event_bytes) {}

  /// Parses `bytes`, calling `on_event` for every event they complete. False once an event or a
  /// line passes the limit: the parser then ignores everything (the stream is broken).
  [[nodiscard]] bool feed(std::string_view bytes, const std::function<void(const sse_event&)>& on_event);

  [[nodiscard]] bool failed() const { return failed_; }

private:
  bool consume(std::string_view bytes, const std::function<void(const sse_event&)>& on_event);
  void line(std::string_view l, const std::function<void(const sse_event&)>& on_event);

  size_t max_;
  std::string line_;       // the line being read
  bool after_cr_ = false;  // the last byte was a CR: an LF now ends nothing
  sse_event event_;
  bool has_data_ = false;
  bool failed_ = false;
  bool started_ = false;  // past a possible byte order mark
  std::string head_;      // the first bytes, while they may still be one
};

}  // namespace aragora::llm
