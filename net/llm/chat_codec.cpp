#include "net/llm/chat_codec.hpp"

#include <boost/json.hpp>

#include "runtime/base/text/utf8.hpp"

namespace aragora::llm {

namespace json = boost::json;

std::string_view to_string(wire_format f) {
  switch (f) {
    case wire_format::openai: return "openai";
    case wire_format::anthropic: return "anthropic";
  }
  return "unknown";
}

std::string_view to_string(llm_errc x) {
  switch (x) {
    case llm_errc::bad_json: return "bad_json";
    case llm_errc::no_content: return "no_content";
    case llm_errc::api_error: return "api_error";
    case llm_errc::stream_broken: return "stream_broken";
    case llm_errc::too_long: return "reply_too_long";
  }
  return "unknown";
}

std::string_view endpoint_path(wire_format f) {
  return f == wire_format::anthropic ? "/messages" : "/chat/completions";
}

bool openai_reasoning_model(std::string_view model) {
  auto slash = model.rfind('/');  // "openai/o3-mini" on OpenRouter
  if (slash != std::string_view::npos) model.remove_prefix(slash + 1);
  for (auto prefix : {"o1", "o3", "o4", "gpt-5"})
    if (model.rfind(prefix, 0) == 0) return true;
  return false;
}

std::string encode_request(wire_format f, const chat_request& r) {
  json::object o;
  o["model"] = r.model;
  if (f == wire_format::openai && r.reasoning_model) {
    o["max_completion_tokens"] = r.max_tokens;
  } else {
    o["max_tokens"] = r.max_tokens;
    o["temperature"] = r.temperature;
  }
  json::array messages;
  if (f == wire_format::anthropic) {
    if (!r.system.empty()) o["system"] = r.system;
  } else if (!r.system.empty()) {
    messages.push_back(json::object{{"role", "system"}, {"content", r.system}});
  }
  messages.push_back(json::object{{"role", "user"}, {"content", r.prompt}});
  o["messages"] = std::move(messages);
  if (r.stream) {
    o["stream"] = true;
    if (f == wire_format::openai && r.stream_usage)
      o["stream_options"] = json::object{{"include_usage", true}};
  }
  return json::serialize(o);
}

namespace {

const json::value* path(const json::value& v, std::initializer_list<std::string_view> keys) {
  const json::value* at = &v;
  for (auto k : keys) {
    const auto* o = at->if_object();
    if (!o) return nullptr;
    at = o->if_contains(k);
    if (!at) return nullptr;
  }
  return at;
}

uint32_t count(const json::value& v, std::initializer_list<std::string_view> keys) {
  const auto* n = path(v, keys);
  if (!n) return 0;
  if (const auto* i = n->if_int64()) return *i > 0 ? static_cast<uint32_t>(std::min<int64_t>(*i, UINT32_MAX)) : 0;
  if (const auto* u = n->if_uint64()) return static_cast<uint32_t>(std::min<uint64_t>(*u, UINT32_MAX));
  return 0;
}

std::string text_at(const json::value& v, std::initializer_list<std::string_view> keys) {
  const auto* s = path(v, keys);
  return s && s->is_string() ? std::string{s->as_string()} : std::string{};
}

expected<json::value, llm_errc> parse(std::string_view body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object())
    return llm_error{llm_errc::bad_json,
                     "the reply is not a JSON object: " + text::utf8_scrub(text::utf8_prefix(body, 120))};
  return v;
}

std::optional<llm_error> api_error_in(const json::value& v) {
  const auto* e = path(v, {"error"});
  if (!e || e->is_null()) return std::nullopt;
  if (e->is_string()) return llm_error{llm_errc::api_error, std::string{e->as_string()}};
  auto msg = text_at(*e, {"message"});
  return llm_error{llm_errc::api_error, msg.empty() ? json::serialize(*e) : msg};
}

}  // namespace

expected<chat_reply, llm_errc> decode_reply(wire_format f, std::string_view body) {
  auto v = parse(body);
  if (!v) return v.error();
  if (auto err = api_error_in(*v)) return *err;
  chat_reply r;
  if (f == wire_format::anthropic) {
    const auto* content = path(*v, {"content"});
    if (!content || !content->is_array())
      return llm_error{llm_errc::no_content, "the reply has no content"};
    bool any = false;
    for (const auto& block : content->as_array())
      if (text_at(block, {"type"}) == "text") {
        r.text += text_at(block, {"text"});
        any = true;
      }
    if (!any) return llm_error{llm_errc::no_content, "the reply has no text block"};
    r.finish_reason = text_at(*v, {"stop_reason"});
    r.used = {count(*v, {"usage", "input_tokens"}), count(*v, {"usage", "output_tokens"})};
    return r;
  }
  const auto* choices = path(*v, {"choices"});
  if (!choices || !choices->is_array() || choices->as_array().empty())
    return llm_error{llm_errc::no_content, "the reply has no choices"};
  const auto& first = choices->as_array()[0];
  const auto* content = path(first, {"message", "content"});
  if (!content || !content->is_string())
    return llm_error{llm_errc::no_content, "the reply's message has no content"};
  r.text = std::string{content->as_string()};
  r.finish_reason = text_at(first, {"finish_reason"});
  r.used = {count(*v, {"usage", "prompt_tokens"}), count(*v, {"usage", "completion_tokens"})};
  return r;
}

std::string error_message(std::string_view body, size_t max) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  std::string msg;
  if (!ec) {
    if (auto err = api_error_in(v)) msg = err->message;
    else if (auto m = text_at(v, {"message"}); !m.empty()) msg = m;
  }
  if (msg.empty()) msg.assign(body.substr(0, max));
  return std::string{text::utf8_prefix(text::utf8_scrub(text::utf8_prefix(msg, max)), max)};
}

std::optional<llm_error> stream_decoder::on_event(const sse_event& e, std::string& delta) {
  delta.clear();
  if (format_ == wire_format::openai && e.data == "[DONE]") {
    done_ = true;
    return std::nullopt;
  }
  auto v = parse(e.data);
  if (!v) return v.error();
  if (auto err = api_error_in(*v)) return err;
  if (format_ == wire_format::anthropic) {
    auto type = text_at(*v, {"type"});
    if (type == "message_start") {
      reply_.used.tokens_in = count(*v, {"message", "usage", "input_tokens"});
      reply_.used.tokens_out = count(*v, {"message", "usage", "output_tokens"});
    } else if (type == "content_block_delta") {
      if (text_at(*v, {"delta", "type"}) == "text_delta") delta = text_at(*v, {"delta", "text"});
    } else if (type == "message_delta") {
      if (auto reason = text_at(*v, {"delta", "stop_reason"}); !reason.empty()) reply_.finish_reason = reason;
      if (auto out = count(*v, {"usage", "output_tokens"})) reply_.used.tokens_out = out;
    } else if (type == "message_stop") {
      done_ = true;
    }
    // ping, content_block_start/stop: nothing to take.
  } else {
    if (const auto* choices = path(*v, {"choices"}); choices && choices->is_array() &&
                                                       !choices->as_array().empty()) {
      const auto& c = choices->as_array()[0];
      delta = text_at(c, {"delta", "content"});
      if (auto reason = text_at(c, {"finish_reason"}); !reason.empty()) reply_.finish_reason = reason;
    }
    if (const auto* u = path(*v, {"usage"}); u && u->is_object())
      reply_.used = {count(*u, {"prompt_tokens"}), count(*u, {"completion_tokens"})};
  }
  if (reply_.text.size() + delta.size() > max_text_)
    return llm_error{llm_errc::too_long, "the streamed reply passed " + std::to_string(max_text_) + " bytes"};
  reply_.text += delta;
  return std::nullopt;
}

}  // namespace aragora::llm
