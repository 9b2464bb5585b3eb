#include "net/llm/sse_parser.hpp"

namespace aragora::llm {

bool sse_parser::feed(std::string_view bytes, const std::function<void(const sse_event&)>& on_event) {
  if (failed_) return false;
  if (started_) return consume(bytes, on_event);
  // A byte order mark at the very start is not part of the first field: hold the first bytes
  // until it is clear whether they are one.
  static constexpr std::string_view bom = "\xEF\xBB\xBF";
  head_.append(bytes);
  if (head_.size() < bom.size() && bom.substr(0, head_.size()) == head_) return true;
  started_ = true;
  std::string all = std::move(head_);
  head_.clear();
  std::string_view rest{all};
  if (rest.substr(0, bom.size()) == bom) rest.remove_prefix(bom.size());
  return consume(rest, on_event);
}

bool sse_parser::consume(std::string_view bytes, const std::function<void(const sse_event&)>& on_event) {
  for (char c : bytes) {
    if (c == '\n' && after_cr_) {  // the LF of a CRLF
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      line(line_, on_event);
      line_.clear();
      if (failed_) return false;
      continue;
    }
    if (line_.size() + event_.data.size() >= max_) {
      failed_ = true;
      return false;
    }
    line_.push_back(c);
  }
  return true;
}

void sse_parser::line(std::string_view l, const std::function<void(const sse_event&)>& on_event) {
  if (l.empty()) {  // an empty line dispatches the event (one without data is dropped)
    if (has_data_) {
      if (event_.name.empty()) event_.name = "message";
      on_event(event_);
    }
    event_.name.clear();
    event_.data.clear();
    has_data_ = false;
    return;
  }
  if (l.front() == ':') return;  // a comment (keep-alive)
  auto colon = l.find(':');
  auto field = l.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) event_.data.push_back('\n');
    event_.data.append(value);
    has_data_ = true;
    if (event_.data.size() > max_) failed_ = true;
  } else if (field == "event") {
    event_.name.assign(value);
  }
  // id and retry are for reconnecting browsers: a provider's reply is never resumed.
}

}  // namespace aragora::llm
