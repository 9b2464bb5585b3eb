// The edge over real sockets on loopback (label integration): a real node, RocksDB store and
// ranking behind the HTTP API and the WebSocket stream, driven as the aragora clients drive them
// (client-contract.md).

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <caf/all.hpp>

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "aragora/v1/wire.pb.h"
#include "actors/agent/agent_spec.hpp"
#include "net/edge/auth/rate_limiter.hpp"
#include "net/edge/auth/token_store.hpp"
#include "net/edge/server.hpp"
#include "net/edge/stream_hub.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/node/node_backend.hpp"
#include "tests/support/edge_client.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_store.hpp"

// The sanitizer build runs everything several times slower: paces that a test's timing rests on
// are set from this.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool sanitized_build = true;
#else
constexpr bool sanitized_build = false;
#endif
#else
constexpr bool sanitized_build = false;
#endif

namespace aragora {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

config::node_config quick(uint32_t latency_ms = 0) {
  config::node_config c;
  c.memory_enabled = false;
  c.mock.latency_ms = latency_ms;
  return c;
}

/// A node behind a server on a free port.
struct edge_node {
  test::temp_store store;
  node::local_node node;
  edge::stream_hub hub;
  node::node_backend backend;
  edge::server srv;

  explicit edge_node(const std::string& stem, config::node_config cfg = quick(),
                     edge::server_options opts = {}, edge::access_control access = {})
      : store(stem), node(cfg, std::nullopt, store.db), backend(node, store.db, hub, cfg),
        srv(with_free_port(std::move(opts)), backend, hub, access) {
    auto err = srv.start();
    EXPECT_FALSE(err) << *err;
  }
  ~edge_node() { srv.stop(); }

  static edge::server_options with_free_port(edge::server_options o) {
    o.port = 0;
    return o;
  }
  [[nodiscard]] uint16_t port() const { return srv.port(); }
};

json::object parse(const std::string& s) {
  json::error_code ec;
  auto v = json::parse(s, ec);
  EXPECT_FALSE(ec) << s;
  EXPECT_TRUE(v.is_object()) << s;
  return v.is_object() ? v.as_object() : json::object{};
}

std::string text(const json::value& v) { return v.is_string() ? std::string{v.as_string()} : ""; }

std::string create(uint16_t port, const std::string& body, const test::header_list& h = {}) {
  auto r = test::http(port, "POST", "/api/v1/debates", body, h);
  EXPECT_EQ(r.status, 200u) << r.body;
  auto o = parse(r.body);
  return o.contains("debate_id") ? text(o.at("debate_id")) : "";
}

const std::string three_agents =
    R"("agents": ["mock:supportive:alice", "mock:critical:bob", "mock:contrarian:carol"])";

/// Reads frames until debate_end (or the timeout); every frame is one JSON object.
std::vector<json::object> until_end(test::ws_client& ws, std::chrono::milliseconds limit = 20s) {
  std::vector<json::object> out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto f = ws.read(left);
    if (!f) break;
    out.push_back(parse(*f));
    if (text(out.back().at("type")) == "debate_end") break;
  }
  return out;
}

/// The seqs of the debate events among `frames` (control frames carry none).
std::vector<uint32_t> seqs(const std::vector<json::object>& frames) {
  std::vector<uint32_t> out;
  for (const auto& f : frames)
    if (f.contains("seq")) out.push_back(static_cast<uint32_t>(f.at("seq").to_number<int64_t>()));
  return out;
}

void expect_gapless(const std::vector<uint32_t>& s, uint32_t from = 1) {
  for (size_t i = 0; i < s.size(); ++i) ASSERT_EQ(s[i], from + i) << "frame " << i;
}

TEST(Edge, ThePythonClientsFlowCreateStreamGetReceiptLeaderboard) {
  edge_node e{"edge-flow"};
  auto id = create(e.port(), R"({"task": "Should we adopt Kubernetes?", )" + three_agents +
                                 R"(, "rounds": 2})");
  ASSERT_FALSE(id.empty());
  // The client connects after the create: the debate (no latency) has likely ended already.
  std::this_thread::sleep_for(200ms);
  test::ws_client ws{e.port(), "/ws?debate_id=" + id};
  ASSERT_TRUE(ws.connected());
  auto frames = until_end(ws);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(text(frames.front().at("type")), "connection_info");
  auto s = seqs(frames);
  ASSERT_GE(s.size(), 10u);
  expect_gapless(s);
  for (const auto& f : frames) {
    ASSERT_TRUE(f.at("data").is_object());
    if (f.contains("seq")) {
      EXPECT_EQ(text(f.at("debate_id")), id);
      EXPECT_EQ(text(f.at("data").at("debate_id")), id);
    }
  }
  EXPECT_EQ(text(frames[1].at("type")), "debate_start");
  const auto& end = frames.back();
  ASSERT_EQ(text(end.at("type")), "debate_end");
  const auto& d = end.at("data").as_object();
  EXPECT_EQ(text(d.at("status")), "completed");
  auto receipt_id = text(d.at("receipt_id"));
  EXPECT_EQ(receipt_id, "DR-" + id);
  EXPECT_FALSE(text(d.at("result")).empty());
  // What a client does on debate_end: everything is there already.
  auto leaders = parse(test::http(e.port(), "GET", "/api/leaderboard").body);
  std::set<std::string> ranked;
  for (const auto& a : leaders.at("rankings").as_array()) ranked.insert(text(a.at("name")));
  EXPECT_EQ(ranked, (std::set<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(leaders.at("agents").as_array().size(), 3u);
  auto got = test::http(e.port(), "GET", "/api/v1/debates/" + id);
  ASSERT_EQ(got.status, 200u);
  auto debate = parse(got.body);
  EXPECT_EQ(text(debate.at("status")), "completed");
  EXPECT_EQ(text(debate.at("receipt_id")), receipt_id);
  EXPECT_TRUE(debate.at("consensus").is_object());
  EXPECT_FALSE(debate.at("messages").as_array().empty());
  for (auto path : {"/api/v2/receipts/" + receipt_id, "/api/v2/receipts/debate-" + id,
                    "/api/gauntlet/receipts/" + receipt_id}) {
    auto r = test::http(e.port(), "GET", path);
    ASSERT_EQ(r.status, 200u) << path << r.body;
    auto o = parse(r.body);
    EXPECT_EQ(text(o.at("receipt_id")), receipt_id);
    EXPECT_EQ(text(o.at("debate_id")), id);
    EXPECT_FALSE(text(o.at("verdict")).empty());
  }
}

TEST(Edge, ALiveStreamReplaysThenFollowsAndResumesBySeqWithNothingLostOrRepeated) {
  edge_node e{"edge-live", quick(40)};
  auto id = create(e.port(), R"({"task": "Q?", "rounds": 3, "early_stop": false, )" + three_agents + "}");
  std::vector<uint32_t> seen;
  {
    test::ws_client first{e.port(), "/ws?debate_id=" + id};
    ASSERT_TRUE(first.connected());
    while (seen.size() < 8) {
      auto f = first.read(10s);
      ASSERT_TRUE(f);
      auto o = parse(*f);
      if (o.contains("seq")) seen.push_back(static_cast<uint32_t>(o.at("seq").to_number<int64_t>()));
    }
    first.drop();  // the connection is lost mid-debate
  }
  // The page's and the cluster client's resume: an explicit subscribe with the last seq seen.
  test::ws_client second{e.port(), "/ws"};
  ASSERT_TRUE(second.connected());
  second.send(R"({"type": "subscribe", "debate_id": ")" + id + R"(", "after_seq": )" +
              std::to_string(seen.back()) + "}");
  auto frames = until_end(second);
  std::vector<std::string> types;
  for (const auto& f : frames) types.push_back(text(f.at("type")));
  EXPECT_NE(std::find(types.begin(), types.end(), "subscribed"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "replay_end"), types.end());
  auto rest = seqs(frames);
  seen.insert(seen.end(), rest.begin(), rest.end());
  expect_gapless(seen);
  EXPECT_EQ(types.back(), "debate_end");
  // The polling fallback agrees with the stream.
  auto page = parse(test::http(e.port(), "GET", "/api/v1/debates/" + id + "/events?since=5&limit=4").body);
  ASSERT_EQ(page.at("events").as_array().size(), 4u);
  EXPECT_EQ(page.at("events").as_array()[0].at("seq"), 6);
  EXPECT_EQ(page.at("next_seq"), 10);
}

TEST(Edge, RenderedAnswersFollowARunningDebateAndSettleOnItsResult) {
  // GET {id}, its messages and the list's rows are kept rendered while the debate is not written
  // again: polled through a whole debate they must move with it, never stick, never go back.
  edge_node e{"edge-versions", quick(30)};
  auto id = create(e.port(), R"({"task": "Q?", "rounds": 3, "early_stop": false, )" + three_agents + "}");
  ASSERT_FALSE(id.empty());
  size_t last_messages = 0;
  int64_t last_rounds = 0;
  std::set<size_t> message_counts;
  bool listed_running = false;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::string status = "running";
  while (status == "running" && std::chrono::steady_clock::now() < deadline) {
    auto d = parse(test::http(e.port(), "GET", "/api/v1/debates/" + id).body);
    status = text(d.at("status"));
    auto n = d.at("messages").as_array().size();
    ASSERT_GE(n, last_messages) << "a GET went back in time";
    last_messages = n;
    message_counts.insert(n);
    auto m = parse(test::http(e.port(), "GET", "/api/v1/debates/" + id + "/messages").body);
    EXPECT_GE(m.at("messages").as_array().size(), n);
    auto l = parse(test::http(e.port(), "GET", "/api/v1/debates?status=running").body);
    for (const auto& row : l.at("debates").as_array()) {
      if (text(row.at("id")) != id) continue;
      listed_running = true;
      EXPECT_EQ(text(row.at("status")), "running");
      auto r = row.at("rounds_used").to_number<int64_t>();
      EXPECT_GE(r, last_rounds) << "a list row went back in time";
      last_rounds = r;
    }
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_NE(status, "running") << "the debate did not end (or a GET stuck on it running)";
  EXPECT_TRUE(listed_running);
  EXPECT_GE(message_counts.size(), 4u) << "the running debate's answer barely moved";
  // Settled: the answers now are the result's, the same on every read, and the rows moved from
  // the running page to the completed one.
  auto done = test::http(e.port(), "GET", "/api/v1/debates/" + id).body;
  EXPECT_EQ(test::http(e.port(), "GET", "/api/v1/debates/" + id).body, done);
  auto d = parse(done);
  EXPECT_EQ(text(d.at("status")), "completed");
  auto events = parse(test::http(e.port(), "GET", "/api/v1/debates/" + id + "/events?limit=500").body);
  size_t stored_messages = 0;
  for (const auto& ev : events.at("events").as_array()) {
    auto type = text(ev.at("type"));
    stored_messages += type == "agent_message" || type == "critique" || type == "vote";
  }
  EXPECT_EQ(d.at("messages").as_array().size(), stored_messages);
  for (int i = 0; i < 2; ++i) {  // the second read is the kept row
    auto running = parse(test::http(e.port(), "GET", "/api/v1/debates?status=running").body);
    for (const auto& row : running.at("debates").as_array()) EXPECT_NE(text(row.at("id")), id);
    auto completed = parse(test::http(e.port(), "GET", "/api/v1/debates?status=completed").body);
    ASSERT_EQ(completed.at("debates").as_array().size(), 1u);
    const auto& row = completed.at("debates").as_array()[0].as_object();
    EXPECT_EQ(text(row.at("id")), id);
    EXPECT_EQ(row.at("rounds_used"), 3);
    EXPECT_FALSE(text(row.at("receipt_id")).empty());
    auto all = parse(test::http(e.port(), "GET", "/api/v1/debates").body);
    EXPECT_EQ(all.at("debates").as_array()[0].at("status"), "completed");
  }
  // A page kept from before a create has the new debate on top after it.
  auto next = create(e.port(), R"({"task": "Q2?", "rounds": 1, )" + three_agents + "}");
  auto all = parse(test::http(e.port(), "GET", "/api/v1/debates").body);
  ASSERT_EQ(all.at("debates").as_array().size(), 2u);
  EXPECT_EQ(text(all.at("debates").as_array()[0].at("id")), next);
  EXPECT_EQ(text(all.at("debates").as_array()[1].at("id")), id);
}

TEST(Edge, EveryEndpointAndAliasAnswersAndEveryErrorIsFlatWithItsStatus) {
  edge_node e{"edge-endpoints"};
  auto id = create(e.port(), R"({"question": "Q?", "rounds": 1})");
  std::this_thread::sleep_for(300ms);
  struct want {
    std::string method, path, body;
    unsigned status;
    std::string code;  // of an error
  };
  for (const auto& w : std::vector<want>{
           {"GET", "/api/v1/health", "", 200, ""},
           {"GET", "/api/health", "", 200, ""},
           {"GET", "/healthz", "", 200, ""},
           {"GET", "/readyz", "", 200, ""},
           {"GET", "/api/v1/debates", "", 200, ""},
           {"GET", "/api/debates?limit=1&offset=0&status=completed", "", 200, ""},
           {"GET", "/api/v1/debates/" + id, "", 200, ""},
           {"GET", "/api/debates/" + id + "/messages", "", 200, ""},
           {"GET", "/api/v1/debates/" + id + "/events?since=0", "", 200, ""},
           {"GET", "/api/v1/debates/" + id + "/receipt", "", 200, ""},
           {"GET", "/api/v1/leaderboard", "", 200, ""},
           {"GET", "/api/v1/rankings", "", 200, ""},
           {"GET", "/api/agents", "", 200, ""},
           {"GET", "/", "", 200, ""},
           {"POST", "/api/debate", R"({"task": "Q2?"})", 200, ""},
           {"GET", "/api/v1/debates/nosuch", "", 404, "NOT_FOUND"},
           {"GET", "/api/v1/debates/nosuch/receipt", "", 404, "NOT_FOUND"},
           {"GET", "/api/v2/receipts/DR-nosuch", "", 404, "NOT_FOUND"},
           {"GET", "/api/v1/nothing", "", 404, "NOT_FOUND"},
           {"GET", "/api/v1/debates/a%2Fb", "", 400, "INVALID_VALUE"},
           {"GET", "/api/v1/debates?limit=0", "", 400, "INVALID_VALUE"},
           {"GET", "/api/v1/debates?status=weird", "", 400, "INVALID_VALUE"},
           {"POST", "/api/v1/debates", "{not json", 400, "INVALID_JSON"},
           {"POST", "/api/v1/debates", R"({"rounds": 2})", 400, "MISSING_FIELD"},
           {"POST", "/api/v1/debates", R"({"task": "Q", "rounds": 50})", 400, "INVALID_VALUE"},
           {"DELETE", "/api/v1/debates/" + id, "", 405, "METHOD_NOT_ALLOWED"},
           {"POST", "/api/v1/debates/" + id + "/cancel", "", 409, "CONFLICT"},
           {"POST", "/api/v1/debates/nosuch/cancel", "", 404, "NOT_FOUND"},
           {"GET", "/ws", "", 400, "INVALID_VALUE"},
       }) {
    auto r = test::http(e.port(), w.method, w.path, w.body);
    EXPECT_EQ(r.status, w.status) << w.method << " " << w.path << ": " << r.body;
    if (w.path == "/") {
      EXPECT_NE(r.header("Content-Type").find("text/html"), std::string::npos);
      continue;
    }
    auto o = parse(r.body);  // every answer, 2xx or not, is one JSON object
    if (!w.code.empty()) {
      EXPECT_EQ(text(o["code"]), w.code) << w.path;
      EXPECT_FALSE(text(o["error"]).empty()) << w.path;
    }
  }
  auto r405 = test::http(e.port(), "DELETE", "/api/v1/debates/" + id);
  EXPECT_EQ(r405.header("Allow"), "GET");
}

TEST(Edge, OversizedOrMalformedRequestsGetTheirStatusAndLoseNothing) {
  edge::server_options opts;
  opts.max_body_bytes = 1024;
  edge_node e{"edge-limits", quick(), opts};
  auto big = R"({"task": ")" + std::string(4096, 'x') + "\"}";
  auto r = test::http(e.port(), "POST", "/api/v1/debates", big);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(text(parse(r.body)["code"]), "PAYLOAD_TOO_LARGE");
  auto junk = test::raw_exchange(e.port(), "NOT HTTP AT ALL\r\n\r\n", 2s);
  EXPECT_NE(junk.find("400"), std::string::npos) << junk;
  auto huge_header = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 << 10, 'a') + "\r\n\r\n";
  EXPECT_NE(test::raw_exchange(e.port(), huge_header, 2s).find("431"), std::string::npos);
  // Pipelined requests on one connection are answered in order.
  auto two = test::raw_exchange(
      e.port(),
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/debates/nosuch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      2s);
  auto ok = two.find("200 OK"), nf = two.find("404 Not Found");
  EXPECT_NE(ok, std::string::npos);
  EXPECT_NE(nf, std::string::npos);
  EXPECT_LT(ok, nf);
  // The server still serves.
  EXPECT_EQ(test::http(e.port(), "GET", "/api/v1/health").status, 200u);
}

TEST(Edge, TokensRolesAndRateLimits) {
  edge::token_store tokens;
  auto file = test::temp_path("tokens");
  {
    std::ofstream out(file);
    out << "reader read rrrrrrrrrrrrrrrrrrrr\nwriter write wwwwwwwwwwwwwwwwwwww\n";
  }
  ::chmod(file.c_str(), 0600);
  ASSERT_FALSE(tokens.load_file(file));
  std::remove(file.c_str());
  edge::rate_limiter limiter{{1.0, 20, 100}};
  edge_node e{"edge-auth", quick(), {}, {&tokens, &limiter}};
  test::header_list reader{{"Authorization", "Bearer rrrrrrrrrrrrrrrrrrrr"}};
  test::header_list writer{{"Authorization", "bearer wwwwwwwwwwwwwwwwwwww"}};
  auto none = test::http(e.port(), "GET", "/api/v1/debates");
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(text(parse(none.body)["code"]), "AUTH_REQUIRED");
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  auto bad = test::http(e.port(), "GET", "/api/v1/debates", "", {{"Authorization", "Bearer nope-nope-nope-nope"}});
  EXPECT_EQ(text(parse(bad.body)["code"]), "INVALID_TOKEN");
  EXPECT_EQ(test::http(e.port(), "GET", "/api/v1/debates", "", reader).status, 200u);
  EXPECT_EQ(test::http(e.port(), "GET", "/api/v1/health").status, 200u);  // public
  auto forbidden = test::http(e.port(), "POST", "/api/v1/debates", R"({"task": "Q?"})", reader);
  EXPECT_EQ(forbidden.status, 403u);
  EXPECT_EQ(text(parse(forbidden.body)["code"]), "FORBIDDEN");
  auto id = create(e.port(), R"({"task": "Q?", "rounds": 1})", writer);
  ASSERT_FALSE(id.empty());
  // The WebSocket: the token as the clients send it (?token=), or refused.
  test::ws_client anonymous{e.port(), "/ws?debate_id=" + id};
  EXPECT_FALSE(anonymous.connected());
  EXPECT_EQ(anonymous.handshake_status(), 401u);
  test::ws_client with_token{e.port(), "/ws?debate_id=" + id + "&token=rrrrrrrrrrrrrrrrrrrr"};
  ASSERT_TRUE(with_token.connected());
  auto frames = until_end(with_token);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(text(frames.back().at("type")), "debate_end");
  test::ws_client by_protocol{e.port(), "/ws?debate_id=" + id,
                              {{"Sec-WebSocket-Protocol", "access_token.rrrrrrrrrrrrrrrrrrrr"}}};
  EXPECT_TRUE(by_protocol.connected());
  // Past the burst: 429 with an integer Retry-After, in the header and the body.
  unsigned last = 0;
  test::http_reply limited;
  for (int i = 0; i < 40 && last != 429; ++i) {
    limited = test::http(e.port(), "GET", "/api/v1/debates", "", reader);
    last = limited.status;
  }
  ASSERT_EQ(last, 429u);
  auto retry = limited.header("Retry-After");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_EQ(retry.find_first_not_of("0123456789"), std::string::npos) << retry;
  EXPECT_EQ(parse(limited.body).at("retry_after").to_number<int64_t>(), std::stoi(retry));
  EXPECT_EQ(text(parse(limited.body)["code"]), "RATE_LIMITED");
  // Another token has its own bucket.
  EXPECT_EQ(test::http(e.port(), "GET", "/api/v1/debates", "", writer).status, 200u);
}

TEST(Edge, ASlowConsumerIsCutOffWhileAHundredOthersKeepTheirStream) {
  edge::server_options opts;
  // A bound the hundred readers keep well within; the slow one, whose buffers fill after about
  // ten frames, passes it well before the end of the ~266 frames. The pace is what one I/O
  // thread writes to a hundred readers with time to spare: on the -O0 ASan build (beside another
  // test) 120 ms steps still left readers behind, so there the steps take 300 ms, and a reader
  // thread of the hundred was once starved 96 frames behind on CI, so there the bound is 160.
  opts.ws_send_queue_frames = sanitized_build ? 160 : 96;
  opts.ws_socket_send_buffer = 16 << 10;  // what the kernel holds for a consumer that does not read
  auto cfg = quick(sanitized_build ? 300 : 120);
  cfg.mock.message_bytes = 2 << 10;
  edge_node e{"edge-slow", cfg, opts};
  auto id = create(e.port(), R"({"task": "Q?", "rounds": 12, "early_stop": false, "agents":
    ["mock:supportive:a", "mock:critical:b", "mock:contrarian:c", "mock:balanced:d"]})");
  test::ws_client slow{e.port(), "/ws?debate_id=" + id, {}, 4096};
  ASSERT_TRUE(slow.connected());
  // The others read as the debate goes, each on its own thread; the slow one reads nothing
  // until the debate is over.
  std::vector<std::vector<uint32_t>> got(100);
  std::vector<std::string> why(100);
  std::vector<std::thread> readers;
  for (size_t i = 0; i < got.size(); ++i)
    readers.emplace_back([&, i] {
      test::ws_client ws{e.port(), "/ws?debate_id=" + id};
      if (!ws.connected()) {
        why[i] = "not connected";
        return;
      }
      for (;;) {
        auto f = ws.read(30s);
        if (!f) {
          why[i] = ws.error() + " " + std::to_string(ws.close_code()) + " " + ws.close_reason();
          return;
        }
        // Read as a light client would (100 of them share two cores with the server): the
        // envelope's seq and type come first in every frame.
        auto head = std::string_view{*f}.substr(0, 80);
        if (auto at = head.find("\"seq\":"); at != std::string_view::npos)
          got[i].push_back(static_cast<uint32_t>(std::stoul(std::string{head.substr(at + 6, 10)})));
        if (head.find("\"type\":\"debate_end\"") != std::string_view::npos) return;
      }
    });
  for (auto& t : readers) t.join();
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(why[i].empty()) << "subscriber " << i << " lost its stream: " << why[i];
    expect_gapless(got[i]);
    ASSERT_EQ(got[i].size(), got[0].size());
  }
  // The slow one finds, after what fitted in the buffers, the close: 1013, resume by seq.
  size_t read = 0;
  while (slow.read(5s)) ++read;
  EXPECT_EQ(slow.close_code(), 1013) << "after " << read << " frames: " << slow.error();
  EXPECT_NE(slow.close_reason().find("after_seq"), std::string::npos);
  EXPECT_LT(read, got[0].size());
}

TEST(Edge, AThousandSubscribersToOneDebateEachGetEveryEventOnceAndInOrder) {
  edge_node e{"edge-fanout", quick(20)};
  auto id = create(e.port(), R"({"task": "Q?", "rounds": 2, "early_stop": false, )" + three_agents + "}");
  std::vector<std::unique_ptr<test::ws_client>> subs;
  for (int i = 0; i < 1000; ++i) {
    subs.push_back(std::make_unique<test::ws_client>(e.port(), "/ws?debate_id=" + id));
    ASSERT_TRUE(subs.back()->connected()) << i;
  }
  size_t events = 0;
  for (size_t i = 0; i < subs.size(); ++i) {
    auto frames = until_end(*subs[i], 30s);
    ASSERT_FALSE(frames.empty()) << i;
    ASSERT_EQ(text(frames.back().at("type")), "debate_end") << i;
    auto s = seqs(frames);
    expect_gapless(s);
    if (i == 0) events = s.size();
    ASSERT_EQ(s.size(), events) << i;
  }
  EXPECT_GT(events, 20u);
}

TEST(Edge, AnUnknownDebateEndsItsStreamWithAnErrorButNotTheConnection) {
  edge_node e{"edge-unknown"};
  test::ws_client ws{e.port(), "/ws?debate_id=nosuch"};
  ASSERT_TRUE(ws.connected());
  auto info = ws.read(5s);
  ASSERT_TRUE(info);
  auto err = ws.read(5s);
  ASSERT_TRUE(err);
  auto o = parse(*err);
  EXPECT_EQ(text(o.at("type")), "error");
  EXPECT_EQ(text(o.at("data").at("code")), "NOT_FOUND");
  ws.send(R"({"type": "ping", "timestamp": 5})");
  ws.send("not json at all");  // ignored, not answered with an error
  auto pong = ws.read(5s);
  ASSERT_TRUE(pong);
  EXPECT_EQ(text(parse(*pong).at("type")), "pong");
  // An inbound frame over 64 KiB closes with 1009.
  ws.send(std::string(70 << 10, 'x'));
  while (ws.read(5s)) {
  }
  EXPECT_EQ(ws.close_code(), 1009);
}

}  // namespace
}  // namespace aragora

namespace aragora {
namespace {

std::string preflight(uint16_t port, const std::string& origin) {
  return test::raw_exchange(port,
                            "OPTIONS /api/v1/debates HTTP/1.1\r\nHost: x\r\nOrigin: " + origin +
                                "\r\nAccess-Control-Request-Method: POST\r\n"
                                "Access-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n",
                            2s);
}

TEST(Edge, CorsIsOffUnlessConfiguredAndThenOnlyForItsOrigin) {
  {
    edge_node off{"edge-cors-off"};
    auto r = test::raw_exchange(off.port(), "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nConnection: close\r\n\r\n", 2s);
    EXPECT_NE(r.find("200 OK"), std::string::npos) << r;
    EXPECT_EQ(r.find("Access-Control"), std::string::npos) << r;
    EXPECT_NE(preflight(off.port(), "https://app.example").find("405"), std::string::npos);
  }
  edge::server_options opts;
  opts.cors_origin = "https://app.example";
  edge_node on{"edge-cors-on", quick(), opts};
  auto ok = preflight(on.port(), "https://app.example");
  EXPECT_NE(ok.find("204 No Content"), std::string::npos) << ok;
  EXPECT_NE(ok.find("Access-Control-Allow-Origin: https://app.example"), std::string::npos) << ok;
  EXPECT_NE(ok.find("Access-Control-Allow-Methods: GET, POST, OPTIONS"), std::string::npos) << ok;
  EXPECT_NE(ok.find("Access-Control-Allow-Headers: Authorization, Content-Type"), std::string::npos);
  auto get = test::raw_exchange(on.port(), "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nConnection: close\r\n\r\n", 2s);
  EXPECT_NE(get.find("Access-Control-Allow-Origin: https://app.example"), std::string::npos) << get;
  EXPECT_NE(get.find("Vary: Origin"), std::string::npos) << get;
  // Another origin gets no grant, and its preflight is not answered as one.
  EXPECT_EQ(preflight(on.port(), "https://evil.example").find("Access-Control-Allow-Origin"),
            std::string::npos);
}

}  // namespace
}  // namespace aragora

namespace aragora {
namespace {

/// The binary subprotocol's frames of one debate, as envelopes, until its debate_end.
std::vector<v1::Envelope> binary_until_end(test::ws_client& ws) {
  std::vector<v1::Envelope> out;
  while (auto f = ws.read(20s)) {
    EXPECT_TRUE(ws.got_binary());
    v1::Envelope env;
    EXPECT_TRUE(env.ParseFromString(*f));
    out.push_back(env);
    if (env.has_event() && env.event().type() == v1::EventType::debate_end) break;
  }
  return out;
}

TEST(Edge, TheBinarySubprotocolCarriesProtobufEnvelopesGaplessThroughDebateEnd) {
  edge_node e{"edge-binary"};
  auto id = create(e.port(), R"({"task": "Q?", "rounds": 2, )" + three_agents + "}");
  ASSERT_FALSE(id.empty());
  // Subscribed from the URL, while the debate may still run: events only, each an Envelope.
  test::ws_client live{e.port(), "/ws?debate_id=" + id,
                       {{"Sec-WebSocket-Protocol", "aragora.v1.protobuf"}}};
  ASSERT_TRUE(live.connected());
  EXPECT_EQ(live.protocol(), "aragora.v1.protobuf");
  auto frames = binary_until_end(live);
  ASSERT_FALSE(frames.empty());
  std::vector<uint32_t> s;
  for (const auto& f : frames) {
    ASSERT_TRUE(f.has_event()) << f.ShortDebugString();
    EXPECT_EQ(f.event().debate_id(), id);
    s.push_back(f.event().seq());
  }
  expect_gapless(s);
  EXPECT_EQ(frames.back().event().end().status() == v1::Status::consensus_reached ||
                frames.back().event().end().status() == v1::Status::no_consensus,
            true);
  // An explicit binary subscribe to the finished debate: `subscribed`, then the same events.
  test::ws_client again{e.port(), "/ws", {{"Sec-WebSocket-Protocol", "aragora.v1.protobuf"}}};
  ASSERT_TRUE(again.connected());
  v1::Envelope sub;
  sub.mutable_subscribe_debate()->set_debate_id(id);
  sub.mutable_subscribe_debate()->set_after_seq(3);
  again.send_binary(sub.SerializeAsString());
  auto replay = binary_until_end(again);
  ASSERT_GE(replay.size(), 2u);
  ASSERT_TRUE(replay.front().has_subscribed()) << replay.front().ShortDebugString();
  EXPECT_EQ(replay.front().subscribed().last_seq(), s.back());
  std::vector<uint32_t> r;
  for (size_t i = 1; i < replay.size(); ++i) r.push_back(replay[i].event().seq());
  expect_gapless(r, 4);
  EXPECT_EQ(r.back(), s.back());
  // An unknown debate: an Envelope{error}, and the connection stays.
  sub.mutable_subscribe_debate()->set_debate_id("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  sub.mutable_subscribe_debate()->set_after_seq(0);
  again.send_binary(sub.SerializeAsString());
  auto err = again.read(5s);
  ASSERT_TRUE(err);
  v1::Envelope env;
  ASSERT_TRUE(env.ParseFromString(*err));
  EXPECT_EQ(env.error().code(), "NOT_FOUND") << env.ShortDebugString();
  // Without the subprotocol the same connection type speaks JSON text.
  test::ws_client text{e.port(), "/ws?debate_id=" + id};
  auto first = text.read(5s);
  ASSERT_TRUE(first);
  EXPECT_FALSE(text.got_binary());
  EXPECT_EQ(text.protocol(), "");
}

TEST(Edge, TheBackendAndHubMayGoWhileDebatesStillEmitOnTheNode) {
  // `aragora serve` tears down server, backend and hub before the node's actor system: events
  // still in flight must not reach a hub or backend that is gone (ASan caught one in CI).
  test::temp_store store{"edge-teardown"};
  auto cfg = quick(2);
  for (int round = 0; round < 5; ++round) {
    // A node per round: the backend is made before its node runs debates (observe_durability).
    node::local_node node{cfg, std::nullopt, store.db};
    auto hub = std::make_unique<edge::stream_hub>();
    auto backend = std::make_unique<node::node_backend>(node, store.db, *hub, cfg);
    for (int i = 0; i < 40; ++i) {
      auto spec = backend->base_spec();
      spec.question = "Q" + std::to_string(i) + "?";
      spec.agents = *agent::parse_agents("mock:supportive,mock:critical,mock:contrarian");
      ASSERT_TRUE(backend->start(std::move(spec)).has_value());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{5 * round});
    backend.reset();
    hub.reset();
    // Debates go on emitting to the sink that is gone; the node stops them at its own end.
    std::this_thread::sleep_for(20ms);
  }
}

TEST(Edge, ADebateOfAnOpenAiAnAnthropicAndACliAgentRunsThroughTheApi) {
  test::fake_llm_server oa{[](const test::llm_request& r) { return test::debating_reply(r, false, {}); }};
  test::fake_llm_server an{[](const test::llm_request& r) { return test::debating_reply(r, true, {}); }};
  auto cfg = quick();
  for (auto [name, url] : {std::pair{"openai", oa.base_url("/v1")}, std::pair{"anthropic", an.base_url("/v1")}}) {
    agent::llm_provider_options p;
    p.name = name;
    p.base_url = url;
    p.api_keys = {"sk-edge-test-1111"};
    cfg.llm.providers.push_back(p);
  }
  cfg.llm.cli_agents.push_back({"reviewer", std::string{ARAGORA_SOURCE_DIR} + "/tests/support/cli_agent.sh", 0ms});
  edge_node e{"edge-three-real", cfg};
  auto id = create(e.port(), R"({"task": "Should we adopt Kubernetes?", "rounds": 1, "agents": )"
                             R"(["openai:gpt-test:alice", "anthropic:claude-test:bob", "cli:reviewer:carol"]})");
  ASSERT_FALSE(id.empty());
  std::string status = "running";
  json::object d;
  for (auto until = std::chrono::steady_clock::now() + 30s; status == "running" && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(20ms)) {
    d = parse(test::http(e.port(), "GET", "/api/v1/debates/" + id).body);
    status = text(d.at("status"));
  }
  EXPECT_NE(status, "running");
  EXPECT_NE(status, "failed") << json::serialize(d);
  std::set<std::string> spoke;
  for (const auto& m : d.at("messages").as_array()) spoke.insert(text(m.at("agent")));
  EXPECT_EQ(spoke, (std::set<std::string>{"alice", "bob", "carol"})) << json::serialize(d);
  EXPECT_GT(oa.request_count(), 0u);
  EXPECT_GT(an.request_count(), 0u);
  // A budget ends a debate cleanly: done, by its own outcome.
  auto spent = create(e.port(), R"({"task": "Q?", "rounds": 5, "early_stop": false, "budget_usd": 0.001, "agents": )"
                                R"(["mock:supportive:a", "mock:critical:b", "mock:balanced:c"]})");
  ASSERT_FALSE(spent.empty());
  for (auto until = std::chrono::steady_clock::now() + 30s;
       text((d = parse(test::http(e.port(), "GET", "/api/v1/debates/" + spent).body)).at("status")) == "running" &&
       std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(text(d.at("status")), "completed") << json::serialize(d);
  EXPECT_EQ(text(d.at("outcome")), "budget_exceeded") << json::serialize(d);
  auto bad = test::http(e.port(), "POST", "/api/v1/debates", R"({"task": "Q?", "budget_usd": -2})");
  EXPECT_EQ(bad.status, 400u) << bad.body;
  EXPECT_NE(bad.body.find("budget_usd"), std::string::npos) << bad.body;
  // A CLI agent the configuration does not define is refused before anything runs.
  auto r = test::http(e.port(), "POST", "/api/v1/debates",
                      R"({"task": "Q?", "agents": ["cli:writer", "mock:critical"]})");
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_NE(r.body.find("cli:writer"), std::string::npos) << r.body;
}

TEST(Edge, ARealAgentsStreamedReplyReachesSubscribersAsTokenDeltasBetweenGaplessEvents) {
  // The far side streams each reply in pieces, slowly enough for a subscriber to be there.
  test::fake_llm_server llm{[](const test::llm_request& r) {
    test::debating_style style;
    style.piece = 9;
    style.chunk_delay = 15ms;
    return test::debating_reply(r, false, style);
  }};
  auto cfg = quick();
  cfg.stream_deltas = true;  // as `aragora serve` sets it
  agent::llm_provider_options openai;
  openai.name = "openai";
  openai.base_url = llm.base_url("/v1");
  openai.api_keys = {"sk-edge-test-0000"};
  cfg.llm.providers.push_back(openai);
  edge_node e{"edge-deltas", cfg};
  auto id = create(e.port(), R"({"task": "Q?", "rounds": 1, "agents": ["openai:gpt-test:alice", "mock:critical:carol", "mock:supportive:dave"]})");
  ASSERT_FALSE(id.empty());
  test::ws_client ws{e.port(), "/ws?debate_id=" + id};
  ASSERT_TRUE(ws.connected());
  auto frames = until_end(ws, 30s);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(text(frames.back().at("type")), "debate_end");
  std::vector<json::object> events;
  struct building {
    std::string text;
    bool from_start = false;  // its piece 0 was seen (the subscriber may have come in mid-call)
  };
  std::map<std::string, building> streamed;  // by call (agent, target): its pieces
  auto call_of = [](const json::object& f) {
    const auto& d = f.at("data").as_object();
    return text(f.at("agent")) + "/" + (d.contains("target") ? text(d.at("target")) : "");
  };
  size_t deltas = 0, matched = 0;
  for (const auto& f : frames) {
    auto type = text(f.at("type"));
    auto agent = f.contains("agent") ? text(f.at("agent")) : "";
    if (type == "token_delta") {
      deltas += agent == "alice";
      EXPECT_FALSE(f.contains("seq")) << "a delta took a seq";
      const auto& d = f.at("data").as_object();
      auto& b = streamed[call_of(f)];
      if (d.at("index").to_number<int64_t>() == 0) b = {"", true};
      b.text += text(d.at("token"));
      continue;
    }
    if (f.contains("seq")) events.push_back(f);
    if (type == "agent_message" || type == "critique") {
      // The message a call's pieces built up to, whole.
      auto& b = streamed[call_of(f)];
      if (b.from_start) {
        EXPECT_EQ(text(f.at("data").at("content")), b.text) << agent;
        matched += agent == "alice";
      }
      b = {};
    }
  }
  EXPECT_GE(deltas, 3u);
  EXPECT_GE(matched, 1u);
  std::vector<uint32_t> s;
  for (const auto& ev : events) s.push_back(static_cast<uint32_t>(ev.at("seq").to_number<int64_t>()));
  ASSERT_FALSE(s.empty());
  expect_gapless(s, s.front());
  // The provider's breaker is in /readyz, beside readiness.
  auto ready = test::http(e.port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200u);
  EXPECT_EQ(text(parse(ready.body).at("providers").at("openai")), "closed") << ready.body;
  // Not stored: the events endpoint has no delta.
  auto stored = parse(test::http(e.port(), "GET", "/api/v1/debates/" + id + "/events?limit=500").body);
  for (const auto& ev : stored.at("events").as_array()) EXPECT_NE(text(ev.at("type")), "token_delta");
}

}  // namespace
}  // namespace aragora
