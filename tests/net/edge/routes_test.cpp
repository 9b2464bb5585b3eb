// The edge's routing (label unit): every path and alias of the client contract, methods, ids.

#include <gtest/gtest.h>

#include "net/edge/routes.hpp"

namespace aragora::edge {
namespace {

route which(std::string_view method, std::string_view path) {
  auto m = match_route(method, path);
  EXPECT_TRUE(m.ok()) << method << " " << path << ": " << (m.ok() ? "" : m.error().message);
  return m.ok() ? m->which : route::page;
}

TEST(Routes, EveryApiPathIsServedWithAndWithoutV1) {
  for (std::string prefix : {"/api/v1", "/api"}) {
    EXPECT_EQ(which("GET", prefix + "/health"), route::health);
    EXPECT_EQ(which("POST", prefix + "/debates"), route::create_debate);
    EXPECT_EQ(which("POST", prefix + "/debate"), route::create_debate);
    EXPECT_EQ(which("GET", prefix + "/debates"), route::list_debates);
    EXPECT_EQ(which("GET", prefix + "/debates/abc_1-Z"), route::get_debate);
    EXPECT_EQ(which("GET", prefix + "/debates/abc/messages"), route::debate_messages);
    EXPECT_EQ(which("GET", prefix + "/debates/abc/events"), route::debate_events);
    EXPECT_EQ(which("POST", prefix + "/debates/abc/cancel"), route::cancel_debate);
    EXPECT_EQ(which("GET", prefix + "/debates/abc/receipt"), route::debate_receipt);
    EXPECT_EQ(which("GET", prefix + "/leaderboard"), route::leaderboard);
    EXPECT_EQ(which("GET", prefix + "/rankings"), route::leaderboard);
    EXPECT_EQ(which("GET", prefix + "/agents"), route::agents);
    EXPECT_EQ(which("GET", prefix + "/receipts/DR-abc"), route::get_receipt);
    EXPECT_EQ(which("GET", prefix + "/cluster/nodes"), route::cluster_nodes);
    EXPECT_EQ(which("POST", prefix + "/cluster/nodes/worker-1/drain"), route::drain_node);
    EXPECT_EQ(which("POST", prefix + "/cluster/nodes/worker-1/undrain"), route::undrain_node);
    EXPECT_EQ(which("GET", prefix + "/cluster/breakers"), route::breakers);
    EXPECT_EQ(which("POST", prefix + "/admin/compact"), route::compact);
    EXPECT_EQ(which("POST", prefix + "/admin/backup"), route::backup);
    EXPECT_EQ(which("GET", prefix + "/admin/storage"), route::storage);
  }
  EXPECT_EQ(match_route("GET", "/api/v1/admin/backup").code(), api_errc::method_not_allowed);
  EXPECT_EQ(match_route("GET", "/api/v1/admin/compact").code(), api_errc::method_not_allowed);
  EXPECT_EQ(match_route("POST", "/api/v1/cluster/breakers").code(), api_errc::method_not_allowed);
  EXPECT_EQ(match_route("POST", "/api/v1/admin/other").code(), api_errc::not_found);
  EXPECT_EQ(match_route("GET", "/api/v1/cluster/breakers/x").code(), api_errc::not_found);
  EXPECT_EQ(which("GET", "/api/v2/receipts/DR-abc"), route::get_receipt);
  EXPECT_EQ(which("GET", "/api/gauntlet/receipts/debate-abc"), route::get_receipt);
  EXPECT_EQ(which("GET", "/ws"), route::stream);
  EXPECT_EQ(which("GET", "/healthz"), route::healthz);
  EXPECT_EQ(which("GET", "/readyz"), route::readyz);
  EXPECT_EQ(which("GET", "/metrics"), route::metrics);
  EXPECT_EQ(which("GET", "/"), route::page);
  EXPECT_EQ(which("HEAD", "/api/v1/health"), route::health);
}

TEST(Routes, IdsArePercentDecodedAndCaptured) {
  auto m = match_route("GET", "/api/debates/ab%43_d-1");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->id, "abC_d-1");
  auto r = match_route("GET", "/api/v2/receipts/DR-01ABC");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, "DR-01ABC");
}

TEST(Routes, APathThatIsNoDebateIdIsRefusedBeforeAnyLookup) {
  for (auto path : {"/api/debates/..%2Fetc", "/api/debates/a%2Fb", "/api/debates/%zz",
                    "/api/debates/a%00b", "/api/debates/a.b"}) {
    auto m = match_route("GET", path);
    ASSERT_FALSE(m.ok()) << path;
    EXPECT_EQ(m.code(), api_errc::invalid_value) << path;
  }
  auto long_id = "/api/debates/" + std::string(65, 'a');
  EXPECT_EQ(match_route("GET", long_id).code(), api_errc::invalid_value);
}

TEST(Routes, UnknownPathsAreNotFoundAndWrongMethodsSayWhatIsAllowed) {
  for (auto path : {"/api/v1/nothing", "/api/debates/abc/whatever", "/api/debates/abc/events/x",
                    "/nope", "/api/v3/receipts/x", "/api/v2/receipts/"})
    EXPECT_EQ(match_route("GET", path).code(), api_errc::not_found) << path;
  auto m = match_route("DELETE", "/api/v1/debates/abc");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.code(), api_errc::method_not_allowed);
  EXPECT_EQ(m.error().message, "GET");
  EXPECT_EQ(match_route("GET", "/api/v1/debates/abc/cancel").error().message, "POST");
  EXPECT_EQ(match_route("POST", "/ws").code(), api_errc::method_not_allowed);
}

TEST(Routes, ErrorCodesAndStatusesAreTheContracts) {
  EXPECT_EQ(to_string(api_errc::invalid_json), "INVALID_JSON");
  EXPECT_EQ(to_string(api_errc::not_found), "NOT_FOUND");
  EXPECT_EQ(to_string(api_errc::rate_limited), "RATE_LIMITED");
  EXPECT_EQ(to_string(api_errc::unavailable), "SERVICE_UNAVAILABLE");
  EXPECT_EQ(http_status(api_errc::missing_field), 400u);
  EXPECT_EQ(http_status(api_errc::auth_required), 401u);
  EXPECT_EQ(http_status(api_errc::forbidden), 403u);
  EXPECT_EQ(http_status(api_errc::conflict), 409u);
  EXPECT_EQ(http_status(api_errc::payload_too_large), 413u);
  EXPECT_EQ(http_status(api_errc::rate_limited), 429u);
  EXPECT_EQ(http_status(api_errc::at_capacity), 503u);
}

TEST(Query, DecodesPairsAndChecksIntegers) {
  query_params q{"limit=20&offset=&status=completed&x=a%20b+c&bad=%zz&limit=7"};
  EXPECT_EQ(q.get("limit"), "20");  // the first
  EXPECT_EQ(q.get("status"), "completed");
  EXPECT_EQ(q.get("x"), "a b c");
  EXPECT_FALSE(q.get("bad"));
  EXPECT_FALSE(q.get("missing"));
  EXPECT_EQ(*q.integer("limit", 1, 100), std::optional<int64_t>{20});
  EXPECT_EQ(*q.integer("missing", 1, 100), std::optional<int64_t>{});
  EXPECT_EQ(q.integer("limit", 1, 10).code(), api_errc::invalid_value);
  EXPECT_EQ(q.integer("offset", 0, 10).code(), api_errc::invalid_value);  // empty
  EXPECT_EQ(q.integer("status", 0, 10).code(), api_errc::invalid_value);
}

TEST(Query, PercentDecodeRefusesTruncatedEscapesAndNul) {
  EXPECT_EQ(percent_decode("a%41"), "aA");
  EXPECT_FALSE(percent_decode("a%4"));
  EXPECT_FALSE(percent_decode("a%"));
  EXPECT_FALSE(percent_decode("%00"));
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
}

}  // namespace
}  // namespace aragora::edge

namespace aragora::edge {
namespace {

TEST(ClientAddress, APeerOnLoopbackIsTheProxyAndTheLastForwardedAddressIsTheClient) {
  EXPECT_EQ(client_address("127.0.0.1", "203.0.113.7"), "203.0.113.7");
  // A client may send its own X-Forwarded-For; nginx appends what it saw: the last one counts.
  EXPECT_EQ(client_address("127.0.0.1", "10.9.9.9, 198.51.100.2"), "198.51.100.2");
  EXPECT_EQ(client_address("::1", " 2001:db8::1 "), "2001:db8::1");
  EXPECT_EQ(client_address("127.0.0.1", ""), "127.0.0.1");
  // Not an address: the peer's own (the limiter's table is keyed by this).
  EXPECT_EQ(client_address("127.0.0.1", "evil key with spaces"), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1", std::string(100, '1')), "127.0.0.1");
  // A peer elsewhere is the client: its header is not trusted.
  EXPECT_EQ(client_address("198.51.100.2", "127.0.0.1"), "198.51.100.2");
}

}  // namespace
}  // namespace aragora::edge
