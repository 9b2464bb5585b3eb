#include "bench/loadgen/report.hpp"

#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>

namespace aragora::loadgen {

namespace {

double ms(uint64_t micros) {
  return static_cast<double>(micros) / 1000.0;
}

void fill(v1::LatencySummary& out, const latency_histogram& h) {
  out.set_p50(ms(h.percentile(50)));
  out.set_p95(ms(h.percentile(95)));
  out.set_p99(ms(h.percentile(99)));
  out.set_max(ms(h.max()));
  out.set_min(ms(h.min()));
  out.set_mean(h.mean() / 1000.0);
}

void check(v1::BenchmarkReport& r, const char* metric, double value, double warning,
           double critical, const char* unit) {
  auto* c = r.add_thresholds();
  c->set_metric(metric);
  c->set_value(value);
  c->set_warning(warning);
  c->set_critical(critical);
  c->set_unit(unit);
  c->set_level(alert_level(value, warning, critical));
}

std::string num(double x, int digits = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  std::string_view s = buf;
  // Thousands separators in the integer part.
  auto dot = s.find('.');
  auto end = dot == std::string_view::npos ? s.size() : dot;
  size_t start = s[0] == '-' ? 1 : 0;
  std::string out;
  out.reserve(s.size() + s.size() / 3);
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > start && i < end && (end - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string duration_text(double millis) {
  if (millis < 1) return num(millis * 1000, 0) + " us";
  if (millis < 1000) return num(millis, millis < 10 ? 2 : 1) + " ms";
  if (millis < 120'000) return num(millis / 1000, 2) + " s";
  return num(millis / 60'000, 1) + " min";
}

const char* level_name(v1::AlertLevel::Value v) {
  switch (v) {
    case v1::AlertLevel::pass: return "pass";
    case v1::AlertLevel::warn: return "warn";
    case v1::AlertLevel::critical: return "CRITICAL";
    default: return "?";
  }
}

}  // namespace

v1::AlertLevel::Value alert_level(double value, double warning, double critical) {
  if (value >= critical) return v1::AlertLevel::critical;
  if (value >= warning) return v1::AlertLevel::warn;
  return v1::AlertLevel::pass;
}

v1::BenchmarkReport make_report(const report_inputs& in) {
  const auto& res = *in.result;
  v1::BenchmarkReport r;
  *r.mutable_config() = in.config;
  r.set_completed(static_cast<uint32_t>(res.completed));
  r.set_failed(static_cast<uint32_t>(res.failed));
  r.set_consensus_reached(static_cast<uint32_t>(res.consensus));
  double wall = std::chrono::duration<double>(res.wall).count();
  r.set_wall_s(wall);
  auto ended = static_cast<double>(res.completed + res.failed);
  r.set_debates_per_s(wall > 0 ? ended / wall : 0);
  r.set_debates_per_hour(r.debates_per_s() * 3600);
  fill(*r.mutable_latency_ms(), res.latency);
  fill(*r.mutable_first_event_ms(), res.first_event);
  r.set_agent_calls(static_cast<double>(res.agent_calls));
  r.set_failed_agent_calls(static_cast<double>(res.failed_calls));
  r.set_peak_rss_mb(static_cast<double>(in.peak_rss) / (1024.0 * 1024.0));
  r.set_baseline_rss_mb(static_cast<double>(in.baseline_rss) / (1024.0 * 1024.0));
  r.set_peak_in_flight(res.peak_in_flight);
  auto growth = in.peak_rss > in.baseline_rss ? in.peak_rss - in.baseline_rss : 0;
  r.set_rss_growth_kb_per_debate(
      res.peak_in_flight ? static_cast<double>(growth) / 1024.0 / res.peak_in_flight : 0);
  r.set_cpu_ms_per_debate(ended > 0 ? static_cast<double>(in.cpu.count()) / 1000.0 / ended : 0);
  r.set_storage(in.config.storage());
  r.set_storage_ops_per_min(wall > 0 ? static_cast<double>(in.storage_ops) / wall * 60 : 0);
  r.set_storage_mb_per_s(wall > 0 ? static_cast<double>(in.storage_bytes) / wall / 1e6 : 0);
  r.set_peak_queue_depth(static_cast<uint32_t>(in.peak_queue_depth));
  r.set_total_memory_mb(static_cast<double>(in.total_memory) / (1024.0 * 1024.0));
  check(r, "debate_duration_p99", r.latency_ms().p99() / 1000.0, in.alerts.debate_duration_warn_s,
        in.alerts.debate_duration_crit_s, "s");
  check(r, "queue_depth_peak", static_cast<double>(in.peak_queue_depth),
        in.alerts.queue_depth_warn, in.alerts.queue_depth_crit, "calls");
  double memory_pct =
      in.total_memory ? 100.0 * static_cast<double>(in.peak_rss) / in.total_memory : 0;
  check(r, "memory_usage_peak", memory_pct, in.alerts.memory_warn_pct, in.alerts.memory_crit_pct,
        "%");
  return r;
}

void print_report(std::ostream& out, const v1::BenchmarkReport& r, bool color) {
  const auto& c = r.config();
  auto paint = [&](const std::string& s, const char* code) {
    return color ? std::string{"\x1b["} + code + "m" + s + "\x1b[0m" : s;
  };
  std::string scope = c.duration_s() > 0 ? num(c.duration_s(), 0) + " s sustained"
                                         : num(c.debates()) + " debates";
  out << paint("Benchmark", "1") << ": " << scope << ", " << num(c.concurrent())
      << " concurrent; " << c.protocol() << ", " << c.agents() << " agents, " << c.rounds()
      << " rounds, early stop " << (c.early_stop() ? "on" : "off") << "; messages "
      << (c.message_bytes() ? num(c.message_bytes()) + " B" : std::string{"natural"})
      << ", latency " << c.latency_ms() << " ms, fail rate " << num(c.fail_rate(), 2)
      << "; storage " << c.storage() << "\n";
  out << "Completed    " << num(r.completed()) << " (" << num(r.failed()) << " failed, "
      << num(r.consensus_reached()) << " reached consensus) in " << num(r.wall_s(), 3) << " s\n";
  out << "Throughput   " << num(r.debates_per_s(), 1) << " debates/s = "
      << num(r.debates_per_hour(), 0) << " debates/hour\n";
  const auto& l = r.latency_ms();
  out << "Latency      p50 " << duration_text(l.p50()) << "  p95 " << duration_text(l.p95())
      << "  p99 " << duration_text(l.p99()) << "  max " << duration_text(l.max()) << "\n";
  const auto& f = r.first_event_ms();
  out << "First event  p50 " << duration_text(f.p50()) << "  p99 " << duration_text(f.p99())
      << "\n";
  out << "Agent calls  " << num(r.agent_calls()) << " (" << num(r.failed_agent_calls())
      << " failed)\n";
  out << "Memory       peak RSS " << num(r.peak_rss_mb(), 1) << " MB, after warm-up "
      << num(r.baseline_rss_mb(), 1) << " MB: " << num(r.rss_growth_kb_per_debate(), 1)
      << " KB per in-flight debate (peak " << num(r.peak_in_flight()) << " in flight)\n";
  out << "CPU          " << num(r.cpu_ms_per_debate(), 3) << " ms per debate\n";
  out << "Storage      " << r.storage() << ", " << num(r.storage_ops_per_min(), 0)
      << " ops/min, " << num(r.storage_mb_per_s(), 1) << " MB/s\n";
  out << "Thresholds (capacity guide: warning / critical)\n";
  for (const auto& t : r.thresholds()) {
    const char* code = t.level() == v1::AlertLevel::pass   ? "32"
                       : t.level() == v1::AlertLevel::warn ? "33"
                                                           : "31";
    char line[160];
    std::snprintf(line, sizeof line, "  %-9s %-20s %12s %-5s (%s / %s)",
                  level_name(t.level()), t.metric().c_str(), num(t.value(), 3).c_str(),
                  t.unit().c_str(), num(t.warning(), 0).c_str(), num(t.critical(), 0).c_str());
    out << paint(line, code) << "\n";
  }
  out.flush();
}

}  // namespace aragora::loadgen
