// The OpenAI-compatible and Anthropic chat formats, with pinned bytes (label unit).

#include <gtest/gtest.h>

#include "net/llm/chat_codec.hpp"

namespace aragora::llm {
namespace {

chat_request sample(bool stream) {
  chat_request r;
  r.model = "gpt-4o-mini";
  r.system = "You are \"alice\".";
  r.prompt = "Q?\nAnswer briefly.";
  r.max_tokens = 256;
  r.temperature = 0.5;
  r.stream = stream;
  return r;
}

TEST(ChatCodec, RequestsArePinnedBytes) {
  EXPECT_EQ(encode_request(wire_format::openai, sample(false)),
            R"({"model":"gpt-4o-mini","max_tokens":256,"temperature":5E-1,"messages":[)"
            R"({"role":"system","content":"You are \"alice\"."},)"
            R"({"role":"user","content":"Q?\nAnswer briefly."}]})");
  EXPECT_EQ(encode_request(wire_format::openai, sample(true)),
            R"({"model":"gpt-4o-mini","max_tokens":256,"temperature":5E-1,"messages":[)"
            R"({"role":"system","content":"You are \"alice\"."},)"
            R"({"role":"user","content":"Q?\nAnswer briefly."}],"stream":true,)"
            R"("stream_options":{"include_usage":true}})");
  auto a = sample(true);
  a.model = "claude-haiku-4-5";
  EXPECT_EQ(encode_request(wire_format::anthropic, a),
            R"({"model":"claude-haiku-4-5","max_tokens":256,"temperature":5E-1,)"
            R"("system":"You are \"alice\".","messages":[)"
            R"({"role":"user","content":"Q?\nAnswer briefly."}],"stream":true})");
  auto reasoning = sample(true);
  reasoning.model = "o3-mini";
  reasoning.reasoning_model = openai_reasoning_model(reasoning.model);
  reasoning.stream_usage = false;
  EXPECT_EQ(encode_request(wire_format::openai, reasoning),
            R"({"model":"o3-mini","max_completion_tokens":256,"messages":[)"
            R"({"role":"system","content":"You are \"alice\"."},)"
            R"({"role":"user","content":"Q?\nAnswer briefly."}],"stream":true})");
  EXPECT_TRUE(openai_reasoning_model("openai/gpt-5-mini"));
  EXPECT_TRUE(openai_reasoning_model("o1"));
  EXPECT_FALSE(openai_reasoning_model("gpt-4o-mini"));
  EXPECT_FALSE(openai_reasoning_model("llama3"));
  EXPECT_EQ(endpoint_path(wire_format::openai), "/chat/completions");
  EXPECT_EQ(endpoint_path(wire_format::anthropic), "/messages");
}

TEST(ChatCodec, WholeRepliesOfBothFormats) {
  auto o = decode_reply(wire_format::openai,
                        R"({"id":"c1","object":"chat.completion","choices":[{"index":0,)"
                        R"("message":{"role":"assistant","content":"Yes."},"finish_reason":"stop"}],)"
                        R"("usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->text, "Yes.");
  EXPECT_EQ(o->finish_reason, "stop");
  EXPECT_EQ(o->used.tokens_in, 12u);
  EXPECT_EQ(o->used.tokens_out, 3u);
  auto a = decode_reply(wire_format::anthropic,
                        R"({"id":"msg_1","type":"message","role":"assistant","content":[)"
                        R"({"type":"text","text":"No"},{"type":"tool_use","id":"t"},{"type":"text","text":"."}],)"
                        R"("stop_reason":"end_turn","usage":{"input_tokens":20,"output_tokens":2}})");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->text, "No.");
  EXPECT_EQ(a->finish_reason, "end_turn");
  EXPECT_EQ(a->used.tokens_in, 20u);
  EXPECT_EQ(a->used.tokens_out, 2u);
}

TEST(ChatCodec, RepliesThatCannotBeUsedSayWhy) {
  EXPECT_EQ(decode_reply(wire_format::openai, "{\"choices\":[").code(), llm_errc::bad_json);
  EXPECT_EQ(decode_reply(wire_format::openai, "[1]").code(), llm_errc::bad_json);
  EXPECT_EQ(decode_reply(wire_format::openai, R"({"choices":[]})").code(), llm_errc::no_content);
  EXPECT_EQ(decode_reply(wire_format::openai, R"({"choices":[{"message":{"content":null}}]})").code(),
            llm_errc::no_content);
  EXPECT_EQ(decode_reply(wire_format::anthropic, R"({"content":[{"type":"tool_use"}]})").code(),
            llm_errc::no_content);
  auto e = decode_reply(wire_format::anthropic,
                        R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  EXPECT_EQ(e.code(), llm_errc::api_error);
  EXPECT_EQ(e.error().message, "Overloaded");
  EXPECT_EQ(error_message(R"({"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}})"),
            "Incorrect API key provided");
  EXPECT_EQ(error_message(R"({"error":"model not found"})"), "model not found");
  EXPECT_EQ(error_message("<html>Bad Gateway</html>"), "<html>Bad Gateway</html>");
  EXPECT_EQ(error_message(std::string(400, 'x'), 300).size(), 300u);
  EXPECT_EQ(error_message("bad \xff byte"), "bad \xEF\xBF\xBD byte");  // kept, scrubbed to UTF-8
  auto not_json = decode_reply(wire_format::openai, "<html>\xff</html>");
  EXPECT_EQ(not_json.error().message, "the reply is not a JSON object: <html>\xEF\xBF\xBD</html>");
}

TEST(ChatCodec, AnOpenAiStreamBuildsTheReplyDeltaByDelta) {
  stream_decoder d{wire_format::openai};
  std::string delta;
  for (auto data : {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
                    R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})",
                    R"({"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]})",
                    R"({"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}})"}) {
    ASSERT_FALSE(d.on_event({"message", data}, delta));
    EXPECT_FALSE(d.done());
  }
  ASSERT_FALSE(d.on_event({"message", "[DONE]"}, delta));
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.reply().text, "Hello");
  EXPECT_EQ(d.reply().finish_reason, "stop");
  EXPECT_EQ(d.reply().used.tokens_in, 9u);
  EXPECT_EQ(d.reply().used.tokens_out, 2u);
}

TEST(ChatCodec, AnAnthropicStreamBuildsTheReplyAndAnErrorEventEndsIt) {
  stream_decoder d{wire_format::anthropic};
  std::string delta;
  const std::pair<const char*, const char*> events[] = {
      {"message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}})"},
      {"content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"},
      {"ping", R"({"type":"ping"})"},
      {"content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})"},
      {"content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}})"},
      {"content_block_stop", R"({"type":"content_block_stop","index":0})"},
      {"message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}})"},
  };
  std::string seen;
  for (auto [name, data] : events) {
    ASSERT_FALSE(d.on_event({name, data}, delta));
    seen += delta;
  }
  EXPECT_EQ(seen, "Hi there");
  EXPECT_FALSE(d.done());
  ASSERT_FALSE(d.on_event({"message_stop", R"({"type":"message_stop"})"}, delta));
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.reply().text, "Hi there");
  EXPECT_EQ(d.reply().used.tokens_in, 25u);
  EXPECT_EQ(d.reply().used.tokens_out, 15u);
  EXPECT_EQ(d.reply().finish_reason, "end_turn");

  stream_decoder e{wire_format::anthropic};
  auto err = e.on_event({"error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"}, delta);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, llm_errc::api_error);
  EXPECT_EQ(err->message, "Overloaded");
  auto bad = e.on_event({"message", "{\"type\":"}, delta);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, llm_errc::bad_json);
}

TEST(ChatCodec, AStreamThatDoesNotStopFailsAtItsBound) {
  stream_decoder d{wire_format::openai, 10};
  std::string delta;
  ASSERT_FALSE(d.on_event({"message", R"({"choices":[{"delta":{"content":"0123456789"}}]})"}, delta));
  auto err = d.on_event({"message", R"({"choices":[{"delta":{"content":"x"}}]})"}, delta);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, llm_errc::too_long);
  EXPECT_EQ(d.reply().text, "0123456789");
}

}  // namespace
}  // namespace aragora::llm
