// The agents' HTTP client against a fake API on loopback (label integration): whole and streamed
// answers, statuses, deadlines, cuts, cancellation, refused and insecure URLs.

#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "net/llm/chat_codec.hpp"
#include "net/llm/http_client.hpp"
#include "tests/support/fake_llm_server.hpp"

namespace aragora::llm {
namespace {

using namespace std::chrono_literals;

struct outcome {
  transport_result result{transport_error{transport_errc::stopped, "not done"}};
  std::vector<std::string> pieces;
  std::chrono::milliseconds took{};
};

outcome exchange(http_client& c, http_request r, std::function<void(http_client&, uint64_t, size_t)> on_piece = {}) {
  auto p = std::make_shared<std::promise<outcome>>();
  auto f = p->get_future();
  auto o = std::make_shared<outcome>();
  auto t0 = std::chrono::steady_clock::now();
  auto id = std::make_shared<std::atomic<uint64_t>>(0);
  auto mtx = std::make_shared<std::mutex>();
  std::unique_lock<std::mutex> hold{*mtx};  // the id is known before the first piece is seen
  *id = c.start(
      std::move(r),
      [&c, o, on_piece, id, mtx](std::string_view piece) {
        std::lock_guard<std::mutex> lock{*mtx};
        o->pieces.emplace_back(piece);
        if (on_piece) on_piece(c, *id, o->pieces.size());
      },
      [o, p, t0](transport_result res) {
        o->result = std::move(res);
        o->took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
        p->set_value(*o);
      });
  hold.unlock();
  EXPECT_EQ(f.wait_for(20s), std::future_status::ready);
  return f.get();
}

http_request to(const test::fake_llm_server& s, bool stream = false) {
  http_request r;
  r.url = *parse_base_url(s.base_url("/v1"));
  r.path = "/chat/completions";
  r.headers = {{"Authorization", "Bearer sk-test-123"}};
  r.body = R"({"model":"m"})";
  r.timeout = 5s;
  r.stream = stream;
  return r;
}

TEST(HttpClient, AWholeAnswerWithItsStatusHeadersAndTheRequestAsSent) {
  test::fake_llm_server s{[](const test::llm_request&) { return test::openai_reply("Yes."); }};
  http_client c;
  auto o = exchange(c, to(s));
  ASSERT_TRUE(o.result) << o.result.error().message;
  EXPECT_EQ(o.result->status, 200u);
  auto reply = decode_reply(wire_format::openai, o.result->body);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->text, "Yes.");
  ASSERT_EQ(s.request_count(), 1u);
  auto req = s.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/chat/completions");
  EXPECT_EQ(req.header("authorization"), "Bearer sk-test-123");
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("host"), "127.0.0.1:" + std::to_string(s.port()));
  EXPECT_EQ(req.body, R"({"model":"m"})");
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(HttpClient, AStreamArrivesPieceByPieceAndParsesIntoTheReply) {
  test::fake_llm_server s{[](const test::llm_request&) {
    auto r = test::anthropic_stream({"Hel", "lo", " world"});
    r.chunk_delay = 5ms;
    return r;
  }};
  http_client c;
  auto o = exchange(c, to(s, true));
  ASSERT_TRUE(o.result) << o.result.error().message;
  EXPECT_EQ(o.result->status, 200u);
  EXPECT_TRUE(o.result->body.empty());
  EXPECT_GE(o.pieces.size(), 3u) << "the pieces were not handed over as they came";
  sse_parser parser;
  stream_decoder d{wire_format::anthropic};
  std::string delta, text;
  for (const auto& p : o.pieces)
    ASSERT_TRUE(parser.feed(p, [&](const sse_event& e) {
      ASSERT_FALSE(d.on_event(e, delta));
      text += delta;
    }));
  EXPECT_EQ(text, "Hello world");
  EXPECT_TRUE(d.done());
  EXPECT_EQ(s.requests()[0].header("accept"), "text/event-stream");
}

TEST(HttpClient, AnErrorStatusIsAnAnswerReadWholeWithItsRetryAfter) {
  test::fake_llm_server s{[](const test::llm_request&) {
    return test::error_reply(429, "slow down", {{"Retry-After", "2"}});
  }};
  http_client c;
  auto o = exchange(c, to(s, true));  // asked for a stream; an error is still read whole
  ASSERT_TRUE(o.result);
  EXPECT_EQ(o.result->status, 429u);
  EXPECT_EQ(o.result->retry_after, "2");
  EXPECT_EQ(error_message(o.result->body), "slow down");
  EXPECT_TRUE(o.pieces.empty());
}

TEST(HttpClient, DeadlinesCutsRefusalsAndBoundsEachHaveTheirCode) {
  test::fake_llm_server s{[](const test::llm_request& r) {
    if (r.body == "hang") return test::hanging_reply();
    if (r.body == "cut") {
      auto x = test::openai_stream({"a", "b"});
      x.cut = true;
      return x;
    }
    return test::openai_reply(std::string(3000, 'x'));
  }};
  http_client::options opts;
  opts.max_body_bytes = 1000;
  http_client c{opts};
  auto hang = to(s);
  hang.body = "hang";
  hang.timeout = 300ms;
  auto o = exchange(c, hang);
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.code(), transport_errc::timeout);
  EXPECT_GE(o.took, 290ms);
  EXPECT_LT(o.took, 3s);
  EXPECT_TRUE(transient(transport_errc::timeout));

  auto cut = to(s, true);
  cut.body = "cut";
  o = exchange(c, cut);
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.code(), transport_errc::reset) << o.result.error().message;

  o = exchange(c, to(s));
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.code(), transport_errc::too_large);

  http_request refused = to(s);
  refused.url.port = "1";  // nothing listens on port 1
  o = exchange(c, refused);
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.code(), transport_errc::connect_failed);

  http_request tls = to(s);
  tls.url.tls = true;  // the fake server speaks no TLS: it waits for a request that never comes
  tls.timeout = 500ms;
  auto before = s.request_count();
  o = exchange(c, tls);
  ASSERT_FALSE(o.result);
  EXPECT_TRUE(o.result.code() == transport_errc::tls_failed || o.result.code() == transport_errc::reset ||
              o.result.code() == transport_errc::timeout)
      << o.result.error().message;
  EXPECT_EQ(s.request_count(), before) << "a request went out in clear";
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(HttpClient, CancelEndsAStreamAndNothingArrivesAfterTheEnd) {
  test::fake_llm_server s{[](const test::llm_request&) {
    auto r = test::openai_stream(std::vector<std::string>(50, "piece "));
    r.chunk_delay = 20ms;
    return r;
  }};
  http_client c;
  auto o = exchange(c, to(s, true), [](http_client& client, uint64_t id, size_t n) {
    if (n == 3) client.cancel(id);  // from inside the body callback
  });
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.code(), transport_errc::cancelled);
  EXPECT_LT(o.pieces.size(), 10u);
  auto seen = o.pieces.size();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(o.pieces.size(), seen);
  c.cancel(12345);  // unknown: ignored
}

TEST(HttpClient, StoppingTheClientEndsWhatIsInFlight) {
  test::fake_llm_server s{[](const test::llm_request&) { return test::hanging_reply(); }};
  std::promise<transport_errc> ended;
  {
    http_client c;
    (void)c.start(to(s), {}, [&](transport_result r) { ended.set_value(r ? transport_errc::bad_url : r.code()); });
    while (s.request_count() == 0) std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(ended.get_future().get(), transport_errc::stopped);
}

TEST(HttpClient, BaseUrls) {
  auto a = parse_base_url("https://api.openai.com/v1/");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "api.openai.com");
  EXPECT_EQ(a->port, "443");
  EXPECT_EQ(a->path, "/v1");
  auto b = parse_base_url("http://localhost:11434");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->port, "11434");
  EXPECT_EQ(b->path, "");
  auto v6 = parse_base_url("http://[::1]:8080/v1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(parse_base_url("http://10.0.0.5:8000/v1").code(), transport_errc::insecure);
  EXPECT_EQ(parse_base_url("http://api.example.com/v1").code(), transport_errc::insecure);
  // The message never repeats what may hold a key.
  for (auto leaky : {"https://user:sk-secret-1@h/v1", "https://h/v1?key=sk-secret-1", "https://h?key=sk-secret-1"}) {
    auto r = parse_base_url(leaky);
    ASSERT_FALSE(r) << leaky;
    EXPECT_EQ(r.error().message.find("sk-secret-1"), std::string::npos) << r.error().message;
  }
  for (auto bad : {"ftp://x", "api.openai.com", "https://", "https://:443", "https://h:0", "https://h:70000",
                   "https://user:pw@h/v1", "https://h/v1?x=1", "http://[::1"})
    EXPECT_EQ(parse_base_url(bad).code(), transport_errc::bad_url) << bad;
}

}  // namespace
}  // namespace aragora::llm
