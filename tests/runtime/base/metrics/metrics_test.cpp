#include "runtime/base/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "runtime/base/defaults.hpp"
#include "runtime/base/metrics/exposition.hpp"

namespace aragora::metrics {
namespace {

using namespace std::chrono_literals;

std::string value_text(double v) {
  std::string s;
  append_value(s, v);
  return s;
}

TEST(MetricsExposition, CounterFamilyRendersSortedChildren) {
  registry r;
  auto f = r.add_counter("aragora_debates_total", "Debates finished, by outcome.", {"outcome"});
  ASSERT_TRUE(f.ok());
  (*f)->with({"failed"}).inc();
  (*f)->with({"consensus"}).inc(3);
  EXPECT_EQ(r.render(),
            "# HELP aragora_debates_total Debates finished, by outcome.\n"
            "# TYPE aragora_debates_total counter\n"
            "aragora_debates_total{outcome=\"consensus\"} 3\n"
            "aragora_debates_total{outcome=\"failed\"} 1\n");
}

TEST(MetricsExposition, UnlabelledCounterShowsZeroFromTheStart) {
  registry r;
  auto f = r.add_counter("aragora_restarts_total", "Restarts.");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(r.render(),
            "# HELP aragora_restarts_total Restarts.\n"
            "# TYPE aragora_restarts_total counter\n"
            "aragora_restarts_total 0\n");
  auto& c = (*f)->with({});
  c.inc(5);
  EXPECT_EQ(&c, &(*f)->with({}));  // its one child
  EXPECT_NE(r.render().find("aragora_restarts_total 5\n"), std::string::npos);
}

TEST(MetricsExposition, CounterKeepsWholeIncrementsExactAndAddsFractions) {
  registry r;
  auto& big = (*r.add_counter("big_total", "h"))->with({});
  big.inc((uint64_t{1} << 53) + 1);  // not representable as a double
  auto& cost = (*r.add_counter("cost_total", "h"))->with({});
  cost.inc(2);
  cost.add(0.25);
  cost.add(-1);  // ignored: counters never go down
  cost.add(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(cost.value(), 2.25);
  auto text = r.render();
  EXPECT_NE(text.find("big_total 9007199254740993\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cost_total 2.25\n"), std::string::npos) << text;
}

TEST(MetricsExposition, GaugeSetsAndAdds) {
  registry r;
  auto f = r.add_gauge("aragora_ws_connections", "Open WebSocket connections.", {"port", "kind"});
  ASSERT_TRUE(f.ok());
  auto& g = (*f)->with({"8765", "json"});
  g.inc();
  g.inc();
  g.dec();
  g.add(0.5);
  (*f)->with({"8765", "binary"}).set(-3);
  EXPECT_EQ(r.render(),
            "# HELP aragora_ws_connections Open WebSocket connections.\n"
            "# TYPE aragora_ws_connections gauge\n"
            "aragora_ws_connections{port=\"8765\",kind=\"binary\"} -3\n"
            "aragora_ws_connections{port=\"8765\",kind=\"json\"} 1.5\n");
}

TEST(MetricsExposition, HistogramRendersCumulativeBucketsSumAndCount) {
  registry r;
  const std::vector<double> bounds{0.25, 0.5, 1};
  auto f = r.add_histogram("aragora_http_request_duration_seconds", "Time to answer a request.",
                           bounds, {"route"});
  ASSERT_TRUE(f.ok());
  auto& h = (*f)->with({"/api/v1/debates"});
  h.observe(0.25);
  h.observe(0.375);
  h.observe(500ms);
  h.observe(2.0);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(r.render(),
            "# HELP aragora_http_request_duration_seconds Time to answer a request.\n"
            "# TYPE aragora_http_request_duration_seconds histogram\n"
            "aragora_http_request_duration_seconds_bucket{route=\"/api/v1/debates\",le=\"0.25\"} 1\n"
            "aragora_http_request_duration_seconds_bucket{route=\"/api/v1/debates\",le=\"0.5\"} 3\n"
            "aragora_http_request_duration_seconds_bucket{route=\"/api/v1/debates\",le=\"1\"} 3\n"
            "aragora_http_request_duration_seconds_bucket{route=\"/api/v1/debates\",le=\"+Inf\"} 4\n"
            "aragora_http_request_duration_seconds_sum{route=\"/api/v1/debates\"} 3.125\n"
            "aragora_http_request_duration_seconds_count{route=\"/api/v1/debates\"} 4\n");
}

TEST(MetricsExposition, UnlabelledHistogramHasOnlyTheLeLabel) {
  registry r;
  const std::vector<double> bounds{0.0005, 300};
  auto f = r.add_histogram("lag_seconds", "Lag.", bounds);
  ASSERT_TRUE(f.ok());
  (*f)->with({}).observe(0.0001);
  EXPECT_EQ(r.render(),
            "# HELP lag_seconds Lag.\n"
            "# TYPE lag_seconds histogram\n"
            "lag_seconds_bucket{le=\"0.0005\"} 1\n"
            "lag_seconds_bucket{le=\"300\"} 1\n"
            "lag_seconds_bucket{le=\"+Inf\"} 1\n"
            "lag_seconds_sum 0.0001\n"
            "lag_seconds_count 1\n");
}

TEST(MetricsExposition, FamiliesRenderInRegistrationOrder) {
  registry r;
  ASSERT_TRUE(r.add_gauge("zeta", "z").ok());
  ASSERT_TRUE(r.add_counter("alpha_total", "a").ok());
  auto text = r.render();
  EXPECT_LT(text.find("zeta"), text.find("alpha_total"));
}

TEST(MetricsExposition, EscapesLabelValuesAndHelp) {
  registry r;
  auto f = r.add_counter("esc_total", "a \"quoted\" back\\slash\nand newline", {"path"});
  ASSERT_TRUE(f.ok());
  (*f)->with({"a\\b\"c\nd"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP esc_total a \"quoted\" back\\\\slash\\nand newline\n"
            "# TYPE esc_total counter\n"
            "esc_total{path=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(MetricsExposition, LabelValuesAreValidUtf8AndCut) {
  EXPECT_EQ(clean_label_value("caf\xC3\xA9", 128), "caf\xC3\xA9");
  EXPECT_EQ(clean_label_value("a\xFF" "b", 128), "a\xEF\xBF\xBD" "b");  // Prometheus needs UTF-8
  EXPECT_EQ(clean_label_value("ab\xC3\xA9", 3), "ab");  // never half a character
  registry r;
  auto f = r.add_counter("paths_total", "h", {"path"});
  ASSERT_TRUE(f.ok());
  auto& a = (*f)->with({std::string(1000, 'x') + "a"});
  auto& b = (*f)->with({std::string(1000, 'x') + "b"});
  EXPECT_EQ(&a, &b);  // both cut to the same value
  EXPECT_NE(r.render().find("{path=\"" + std::string(defaults::metrics_max_label_bytes, 'x') +
                            "\"} 0\n"),
            std::string::npos);
}

TEST(MetricsExposition, ValuesAreShortAndExact) {
  EXPECT_EQ(value_text(0), "0");
  EXPECT_EQ(value_text(-0.0), "0");
  EXPECT_EQ(value_text(300), "300");
  EXPECT_EQ(value_text(100000), "100000");  // not 1e+05
  EXPECT_EQ(value_text(-3), "-3");
  EXPECT_EQ(value_text(0.1), "0.1");
  EXPECT_EQ(value_text(0.0005), "0.0005");
  EXPECT_EQ(value_text(2.5), "2.5");
  EXPECT_EQ(value_text(1e-5), "1e-05");
  EXPECT_EQ(value_text(1.5e20), "1.5e+20");
  EXPECT_EQ(value_text(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(value_text(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(value_text(std::numeric_limits<double>::quiet_NaN()), "NaN");
  // The shortest text reads back to the same double.
  for (double v : {0.1 + 0.2, 1.0 / 3, 123456.789, 6.02214076e23})
    EXPECT_EQ(std::stod(value_text(v)), v) << value_text(v);
}

TEST(MetricsHistogram, AValueEqualToABoundIsInThatBucket) {
  const std::vector<double> bounds{0.1, 0.5, 1};
  histogram h{bounds};
  h.observe(0.1);                             // le 0.1
  h.observe(std::nextafter(0.1, 1.0));        // just above: le 0.5
  h.observe(0.5);                             // le 0.5
  h.observe(1);                               // le 1
  h.observe(std::nextafter(1.0, 2.0));        // +Inf
  h.observe(-5);                              // below every bound: the first
  h.observe(std::numeric_limits<double>::infinity());
  h.observe(std::numeric_limits<double>::quiet_NaN());  // +Inf, as Prometheus clients do
  EXPECT_EQ(h.bucket(0), 2u);
  EXPECT_EQ(h.bucket(1), 2u);
  EXPECT_EQ(h.bucket(2), 1u);
  EXPECT_EQ(h.bucket(3), 3u);
  EXPECT_EQ(h.count(), 8u);
  EXPECT_TRUE(std::isnan(h.sum()));
}

TEST(MetricsHistogram, DefaultBucketsHaveTheAlertThresholdsAsBounds) {
  auto has = [](const auto& bounds, double v) {
    return std::find(bounds.begin(), bounds.end(), v) != bounds.end();
  };
  EXPECT_TRUE(std::is_sorted(latency_buckets.begin(), latency_buckets.end()));
  for (double t : {defaults::alert_api_latency_p99_warn_s, defaults::alert_api_latency_p99_crit_s,
                   defaults::alert_ws_lag_warn_s, defaults::alert_ws_lag_crit_s,
                   defaults::alert_query_time_warn_s, defaults::alert_query_time_crit_s})
    EXPECT_TRUE(has(latency_buckets, t)) << t;
  EXPECT_TRUE(std::is_sorted(debate_duration_buckets.begin(), debate_duration_buckets.end()));
  for (double t : {defaults::alert_debate_duration_warn_s, defaults::alert_debate_duration_crit_s})
    EXPECT_TRUE(has(debate_duration_buckets, t)) << t;
  registry r;
  EXPECT_TRUE(r.add_histogram("a_seconds", "h", latency_buckets).ok());
  EXPECT_TRUE(r.add_histogram("b_seconds", "h", debate_duration_buckets).ok());
}

TEST(MetricsCardinality, AFullFamilyHandsOutOneOverflowChild) {
  registry r;
  auto f = r.add_counter("requests_total", "h", {"method", "path"}, 3);
  ASSERT_TRUE(f.ok());
  auto& fam = **f;
  auto& a = fam.with({"GET", "/a"});
  fam.with({"GET", "/b"}).inc();
  fam.with({"GET", "/c"}).inc();
  auto& d = fam.with({"GET", "/d"});  // the fourth tuple: refused
  auto& e = fam.with({"POST", "/e"});
  EXPECT_EQ(&d, &e);
  EXPECT_EQ(&d, &fam.with({"other", "other"}));  // the overflow child, by its own labels
  EXPECT_EQ(&a, &fam.with({"GET", "/a"}));       // known tuples still find their child
  EXPECT_EQ(fam.size(), 4u);                     // 3 + overflow
  EXPECT_EQ(fam.overflowed(), 2u);
  d.inc();
  e.inc();
  for (int i = 0; i < 1000; ++i) fam.with({"GET", "/x" + std::to_string(i)}).inc();
  EXPECT_EQ(fam.size(), 4u);  // memory stays bounded
  EXPECT_EQ(r.render(),
            "# HELP requests_total h\n"
            "# TYPE requests_total counter\n"
            "requests_total{method=\"GET\",path=\"/a\"} 0\n"
            "requests_total{method=\"GET\",path=\"/b\"} 1\n"
            "requests_total{method=\"GET\",path=\"/c\"} 1\n"
            "requests_total{method=\"other\",path=\"other\"} 1002\n");
}

TEST(MetricsCardinality, ATupleOfTheWrongSizeGetsTheOverflowChild) {
  registry r;
  auto f = r.add_gauge("g", "h", {"a", "b"});
  ASSERT_TRUE(f.ok());
  auto& x = (*f)->with({"only one"});
  EXPECT_EQ(&x, &(*f)->with({"other", "other"}));
  EXPECT_EQ((*f)->overflowed(), 1u);
}

TEST(MetricsConcurrency, IncrementsFromFourThreadsSumExactly) {
  registry r;
  auto counters = r.add_counter("c_total", "h", {"k"});
  auto gauges = r.add_gauge("g", "h");
  const std::vector<double> bounds{0.5};
  auto histograms = r.add_histogram("h_seconds", "h", bounds);
  ASSERT_TRUE(counters.ok() && gauges.ok() && histograms.ok());
  constexpr int threads = 4;
  constexpr int per_thread = 200'000;
  std::vector<counter*> seen(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto& c = (*counters)->with({"shared"});  // created once, whoever asks first
      seen[t] = &c;
      auto& g = (*gauges)->with({});
      auto& h = (*histograms)->with({});
      for (int i = 0; i < per_thread; ++i) {
        c.inc();
        c.add(0.5);
        g.add(1);
        h.observe(i % 2 == 0 ? 0.25 : 1.0);
        if (i % 50'000 == 0) (void)r.render();  // scrapes race the increments
      }
    });
  }
  for (auto& th : pool) th.join();
  constexpr uint64_t total = uint64_t{threads} * per_thread;
  for (auto* p : seen) EXPECT_EQ(p, seen[0]);
  EXPECT_EQ(seen[0]->whole(), total);
  EXPECT_EQ(seen[0]->fraction(), total * 0.5);  // halves sum exactly in a double
  EXPECT_EQ((*gauges)->with({}).value(), static_cast<double>(total));
  auto& h = (*histograms)->with({});
  EXPECT_EQ(h.count(), total);
  EXPECT_EQ(h.bucket(0), total / 2);
  EXPECT_EQ(h.sum(), (total / 2) * 0.25 + (total / 2) * 1.0);
}

TEST(MetricsRegistry, RefusesInvalidNames) {
  for (auto bad : {"", "1abc", "a-b", "a b", "caf\xC3\xA9", "a{b}"}) {
    EXPECT_FALSE(valid_metric_name(bad)) << bad;
    registry r;
    auto f = r.add_counter(bad, "h");
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(f.code(), metrics_errc::bad_name);
    EXPECT_EQ(f.error().code_name(), "metrics_bad_name");
  }
  for (auto good : {"a", "_a", ":a", "aragora_http:rate5m", "A_1"})
    EXPECT_TRUE(valid_metric_name(good)) << good;
  for (auto bad : {"", "__reserved", "a:b", "1a", "a-b"}) EXPECT_FALSE(valid_label_name(bad));
  for (auto good : {"a", "_a", "route", "le", "A_1"}) EXPECT_TRUE(valid_label_name(good));
}

TEST(MetricsRegistry, RefusesBadLabelNames) {
  registry r;
  const std::vector<double> bounds{1};
  EXPECT_EQ(r.add_counter("a_total", "h", {"x", "x"}).code(), metrics_errc::bad_label_name);
  EXPECT_EQ(r.add_gauge("b", "h", {"__name__"}).code(), metrics_errc::bad_label_name);
  EXPECT_EQ(r.add_histogram("c", "h", bounds, {"le"}).code(), metrics_errc::bad_label_name);
  EXPECT_TRUE(r.add_counter("d_total", "h", {"le"}).ok());  // reserved in histograms only
}

TEST(MetricsRegistry, RefusesDuplicateNamesIncludingHistogramSeries) {
  registry r;
  const std::vector<double> bounds{1};
  ASSERT_TRUE(r.add_counter("x", "h").ok());
  EXPECT_EQ(r.add_gauge("x", "h").code(), metrics_errc::duplicate_name);
  ASSERT_TRUE(r.add_histogram("lat", "h", bounds).ok());
  EXPECT_EQ(r.add_counter("lat_count", "h").code(), metrics_errc::duplicate_name);
  EXPECT_EQ(r.add_gauge("lat_sum", "h").code(), metrics_errc::duplicate_name);
  ASSERT_TRUE(r.add_gauge("y_bucket", "h").ok());
  EXPECT_EQ(r.add_histogram("y", "h", bounds).code(), metrics_errc::duplicate_name);
  // A refused registration leaves nothing behind.
  EXPECT_EQ(r.render().find("# TYPE y "), std::string::npos);
}

TEST(MetricsRegistry, RefusesBadBuckets) {
  registry r;
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& b : std::vector<std::vector<double>>{{1, 1}, {2, 1}, {nan}, {0.5, inf}}) {
    auto f = r.add_histogram("h", "h", b);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.code(), metrics_errc::bad_buckets);
  }
  EXPECT_TRUE(r.add_histogram("h", "h", std::vector<double>{}).ok());  // only +Inf
  EXPECT_EQ(r.render(),
            "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
}

}  // namespace
}  // namespace aragora::metrics

namespace aragora::metrics {
namespace {

TEST(MetricsHistogram, ObservationsFromManyThreadsAddUpAcrossTheShards) {
  static constexpr std::array<double, 3> bounds{1, 2, 4};
  histogram h{bounds};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * static_cast<int>(histogram::shard_count) + 1; ++t)
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 1000; ++i) h.observe(static_cast<double>((i + t) % 5));  // 0..4: whole sums
    });
  for (auto& t : threads) t.join();
  const uint64_t n = 1000 * (2 * histogram::shard_count + 1);
  EXPECT_EQ(h.count(), n);
  EXPECT_EQ(h.bucket(0), n * 2 / 5);  // 0 and 1
  EXPECT_EQ(h.bucket(1), n / 5);      // 2
  EXPECT_EQ(h.bucket(2), n * 2 / 5);  // 3 and 4
  EXPECT_EQ(h.bucket(3), 0u);         // +Inf
  EXPECT_EQ(h.sum(), static_cast<double>(n) * 2.0);
}

}  // namespace
}  // namespace aragora::metrics

namespace aragora::metrics {
namespace {

TEST(MetricsMerge, EachNodesSamplesSitUnderOneFamilyLabelledWithTheNode) {
  const std::string edge =
      "# HELP aragora_debates_in_flight Debates running.\n"
      "# TYPE aragora_debates_in_flight gauge\n"
      "aragora_debates_in_flight 7\n"
      "# HELP process_resident_memory_bytes Resident memory.\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes 1000\n";
  const std::string worker =
      "# HELP aragora_debates_in_flight Debates running.\n"
      "# TYPE aragora_debates_in_flight gauge\n"
      "aragora_debates_in_flight 4\n"
      "# HELP aragora_agent_call_duration_seconds Calls.\n"
      "# TYPE aragora_agent_call_duration_seconds histogram\n"
      "aragora_agent_call_duration_seconds_bucket{provider=\"mock\",le=\"0.1\"} 3\n"
      "aragora_agent_call_duration_seconds_bucket{provider=\"mock\",le=\"+Inf\"} 4\n"
      "aragora_agent_call_duration_seconds_sum{provider=\"mock\"} 0.5\n"
      "aragora_agent_call_duration_seconds_count{provider=\"mock\"} 4\n"
      "# a comment the merge drops\n"
      "\n"
      "# HELP process_resident_memory_bytes Resident memory.\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes 500\n"
      "odd{} 1\n";
  auto merged = merge_by_node(edge, "edge", {{"worker-\"1\"", worker}, {"worker-2", "process_resident_memory_bytes 600\n"}},
                              {"aragora_debates_in_flight"});
  EXPECT_EQ(merged,
            "# HELP aragora_debates_in_flight Debates running.\n"
            "# TYPE aragora_debates_in_flight gauge\n"
            "aragora_debates_in_flight{node=\"edge\"} 7\n"
            "# HELP process_resident_memory_bytes Resident memory.\n"
            "# TYPE process_resident_memory_bytes gauge\n"
            "process_resident_memory_bytes{node=\"edge\"} 1000\n"
            "process_resident_memory_bytes{node=\"worker-\\\"1\\\"\"} 500\n"
            "process_resident_memory_bytes{node=\"worker-2\"} 600\n"
            "# HELP aragora_agent_call_duration_seconds Calls.\n"
            "# TYPE aragora_agent_call_duration_seconds histogram\n"
            "aragora_agent_call_duration_seconds_bucket{node=\"worker-\\\"1\\\"\",provider=\"mock\",le=\"0.1\"} 3\n"
            "aragora_agent_call_duration_seconds_bucket{node=\"worker-\\\"1\\\"\",provider=\"mock\",le=\"+Inf\"} 4\n"
            "aragora_agent_call_duration_seconds_sum{node=\"worker-\\\"1\\\"\",provider=\"mock\"} 0.5\n"
            "aragora_agent_call_duration_seconds_count{node=\"worker-\\\"1\\\"\",provider=\"mock\"} 4\n"
            "odd{node=\"worker-\\\"1\\\"\"} 1\n");
}

TEST(MetricsMerge, ASampleGoesWithTheFamilyItNamesNotTheHeaderAboveIt) {
  // Another version's text, out of order: each sample finds its own family.
  const std::string worker =
      "# TYPE a counter\n"
      "a 1\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"+Inf\"} 2\n"
      "a_total_lost 5\n"
      "h_count 2\n"
      "a 3\n";
  EXPECT_EQ(merge_by_node("# TYPE a counter\na 9\n", "e", {{"w", worker}}, {}),
            "# TYPE a counter\n"
            "a{node=\"e\"} 9\n"
            "a{node=\"w\"} 1\n"
            "a{node=\"w\"} 3\n"
            "# TYPE h histogram\n"
            "h_bucket{node=\"w\",le=\"+Inf\"} 2\n"
            "h_count{node=\"w\"} 2\n"
            "a_total_lost{node=\"w\"} 5\n");
}

TEST(MetricsMerge, WithoutOtherNodesOnlyTheLabelIsAdded) {
  EXPECT_EQ(merge_by_node("# TYPE a counter\na 1\n", "edge", {}, {}), "# TYPE a counter\na{node=\"edge\"} 1\n");
  EXPECT_EQ(merge_by_node("", "edge", {{"w", "# TYPE b gauge\nb 2\n"}}, {}), "# TYPE b gauge\nb{node=\"w\"} 2\n");
}

}  // namespace
}  // namespace aragora::metrics
