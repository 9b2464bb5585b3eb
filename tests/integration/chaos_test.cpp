// Chaos (label crash): 1,000 durable debates while the fault hook kills random debate, agent,
// memory, writer and ranking actors. Every debate must end, completed or cleanly failed; none
// hangs; no step is recorded twice; the supervisors' breakers open under the crash loop and close
// after it.

#include <gtest/gtest.h>

#include <caf/all.hpp>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "actors/debate/actor/debate_actor.hpp"
#include "actors/debate/store/persistence.hpp"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/node/local_node.hpp"
#include "tests/support/drive.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;
using resilience::breaker_state;

config::node_config chaos_config() {
  config::node_config c;
  c.fault_injection = true;
  c.supervision.restart_base = 5ms;
  c.supervision.restart_cap = 100ms;
  c.supervision.stable_after = 200ms;
  c.supervision.breaker_failures = 12;
  c.supervision.breaker_recovery = 300ms;
  c.supervision.probe_interval = 100ms;
  c.supervision.probe_timeout = 2s;
  c.supervision.write_timeout = 1s;
  c.supervision.hold_limit = 20s;
  c.db_breaker_failures = 5;
  c.db_breaker_recovery = 300ms;
  c.memory_enabled = true;
  c.agent_workers = 4;
  c.mock.latency_ms = 5;
  return c;
}

TEST(Chaos, ThousandDebatesUnderRandomKillsAllEndCleanly) {
  test::temp_store store{"chaos"};
  node::local_node node{chaos_config(), std::nullopt, store.db};
  auto* faults = node.faults();
  ASSERT_NE(faults, nullptr);
  caf::scoped_actor self{node.system()};

  constexpr int total = 1000;
  constexpr int in_flight = 100;
  std::map<std::string, int> finished;  // id -> how many reports
  std::map<std::string, debate::debate_finished> results;
  int started = 0;
  auto start_one = [&] {
    auto s = std::make_shared<debate::debate_spec>(*test::make_spec([&](debate::debate_spec& x) {
      x.rounds = 2;
      x.seed = static_cast<uint32_t>(started);
    }));
    s->id = node.next_debate_id();
    ++started;
    (void)node.start_debate(s, self, {}, debate::finish_report::summary);
  };
  for (int i = 0; i < in_flight; ++i) start_one();

  // Kill something every few milliseconds while the debates run; once 700 have ended, kill 40
  // debates at once: a crash loop that must open the debates' breaker. The debates pace the
  // kills too: at most two for every five debates ended (20 before any has), so a build or a
  // machine that runs them slower does not kill each more often. A release build stays under
  // that (about one for every three); the ASan build of scripts/sanitize (-O0, every allocation
  // tracked) runs them about half as fast, and with the clock alone failed 600 to 700 of the
  // 1,000 debates instead of about 300.
  std::atomic<bool> stop{false};
  std::atomic<int> ended{0};
  bool burst_done = false;
  std::map<std::string, int> kills;
  int random_kills = 0;
  int held_back = 0;  // ticks without a kill: the debates had not caught up
  std::thread chaos{[&] {
    std::minstd_rand rng{42};
    const std::vector<std::string> services{"writer", "ranking", "critiques"};
    while (!stop) {
      std::this_thread::sleep_for(12ms);
      if (!burst_done && ended >= 700) {
        burst_done = true;
        auto all = faults->names("debate/");
        for (size_t i = 0; i < all.size() && i < 40; ++i)
          if (faults->crash(all[i])) ++kills["debate"];
        continue;
      }
      if (random_kills >= ended * 2 / 5 + 20) {
        ++held_back;
        continue;
      }
      std::vector<std::string> names;
      switch (rng() % 4) {
        case 0:
        case 1: names = faults->names("debate/"); break;
        case 2: names = faults->names("agent/"); break;
        default:
          names = faults->names("memory/");
          for (const auto& s : services) names.push_back(s);
      }
      if (names.empty()) continue;
      const auto& victim = names[rng() % names.size()];
      if (faults->crash(victim)) {
        ++kills[victim.substr(0, victim.find('/'))];
        ++random_kills;
      }
    }
  }};

  auto deadline = std::chrono::steady_clock::now() + 180s;
  int done = 0;
  while (done < total && std::chrono::steady_clock::now() < deadline) {
    self->receive(
        [&](debate::debate_finished& f) {
          if (++finished[f.id] == 1) ++done;
          ended = done;
          results[f.id] = std::move(f);
          if (started < total) start_one();
        },
        caf::after(1s) >> [] {});
  }
  stop = true;
  chaos.join();
  ASSERT_EQ(done, total) << "debates left hanging: " << total - done;
  for (const auto& [id, n] : finished) EXPECT_EQ(n, 1) << id << " reported " << n << " times";

  size_t failed = 0;
  for (const auto& [id, f] : results) {
    // Failed: a dead debate not restarted (its error says why), or one whose agents' calls all
    // died with their workers (the machine decided it failed). Either way it ended and said so.
    if (f.summary.status == debate::debate_status::failed) {
      ++failed;
      continue;
    }
    EXPECT_NE(f.summary.status, debate::debate_status::running) << id;
  }
  // Every stored log: seqs 1..n, no message twice.
  for (const auto& [id, f] : results) {
    auto stored = debate::load_debate(*store.db, id);
    ASSERT_TRUE(stored.ok());
    if (!stored.value()) continue;  // killed before its first write
    const auto& events = stored.value()->events;
    std::set<std::tuple<int, uint32_t, std::string, std::string>> messages;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].seq(), i + 1) << id;
      if (!events[i].has_message()) continue;
      const auto& m = events[i].message();
      EXPECT_TRUE(messages.insert({static_cast<int>(m.phase()), m.round(), m.agent(), m.target()}).second)
          << id << ": recorded twice at seq " << events[i].seq();
    }
  }
  std::string summary;
  for (const auto& [k, n] : kills) summary += k + "=" + std::to_string(n) + " ";
  std::cout << "chaos: kills " << summary << "(" << held_back << " held back); " << failed
            << " of " << total << " debates failed cleanly\n";
  EXPECT_TRUE(burst_done);
  // Many debates completed despite the kills. A debate killed while the debates' breaker is open
  // fails, and how many are in flight during its 300 ms open spells depends on the build's speed:
  // a release build fails a few hundred, the ASan -O0 build has failed 518 of 1,000 (CI,
  // 2026-12-01). The bound says the runtime did not give up, not a rate.
  EXPECT_LT(failed, static_cast<size_t>(total * 2 / 3));

  // The crash loop opened the debates' breaker; with the chaos over, every breaker closes again
  // and new debates run normally.
  auto status = node.supervision_status();
  auto debates = std::find_if(status.begin(), status.end(), [](auto& c) { return c.name == "debates"; });
  ASSERT_NE(debates, status.end());
  EXPECT_GE(debates->times_opened, 1u);
  EXPECT_GT(debates->restarts, 0u);
  auto all_closed = [&] {
    for (const auto& c : node.supervision_status())
      if (c.breaker != breaker_state::closed || !c.up) return false;
    return true;
  };
  for (int i = 0; i < 5 && !all_closed(); ++i) {
    started = 0;
    start_one();
    self->receive([](debate::debate_finished&) {}, caf::after(10s) >> [] {});
    std::this_thread::sleep_for(300ms);
  }
  for (const auto& c : node.supervision_status())
    EXPECT_TRUE(c.breaker == breaker_state::closed && c.up) << c.name << " did not recover";
}

}  // namespace
}  // namespace aragora
