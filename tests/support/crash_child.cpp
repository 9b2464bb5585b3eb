// The process the crash test kills. Runs durable debates on a data dir and prints, flushed, one
// line per fact the parent checks after the kill:
//   DURABLE <debate id> <seq>          the debate's events up to seq are on disk
//   DONE <id> <status> <calls sent by this run> <agent calls in total>
//   ALL_DONE
// Usage: crash_child <data dir> start <debates> <latency ms> <rounds>
//        crash_child <data dir> resume <latency ms>

#include <caf/all.hpp>

#include <cstdio>
#include <string>

#include "actors/debate/actor/messages.hpp"
#include "runtime/config/config.hpp"
#include "runtime/node/local_node.hpp"
#include "storage/store.hpp"
#include "tests/support/drive.hpp"

using namespace aragora;

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  std::string dir = argv[1];
  std::string mode = argv[2];
  config::node_config cfg;
  // The mock's latency is the node's: a resumed run keeps the pace of the first.
  if (mode == "start" && argc > 4) cfg.mock.latency_ms = static_cast<uint32_t>(std::stoul(argv[4]));
  if (mode == "resume" && argc > 3) cfg.mock.latency_ms = static_cast<uint32_t>(std::stoul(argv[3]));
  storage::store_options so;
  so.path = dir;
  auto opened = storage::store::open(so);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  std::shared_ptr<storage::store> db = std::move(opened.value());
  size_t expected = 0;
  {
    node::local_node node{cfg, std::nullopt, db};
    caf::scoped_actor self{node.system()};
    node.observe_durability(self);
    if (mode == "start") {
      auto n = std::stoul(argv[3]);
      auto rounds = static_cast<uint32_t>(std::stoul(argv[5]));
      for (size_t i = 0; i < n; ++i) {
        auto spec = std::make_shared<debate::debate_spec>(config::default_spec(cfg));
        spec->id = node.next_debate_id();
        spec->question = "Crash test debate " + std::to_string(i);
        spec->agents = test::default_agents();
        spec->rounds = rounds;
        spec->early_stop = false;
        spec->seed = static_cast<uint32_t>(i);
        (void)node.start_debate(spec, self, {}, debate::finish_report::summary);
      }
      expected = n;
    } else {
      auto resumed = node.resume_unfinished(self, debate::finish_report::summary);
      expected = resumed.ids.size();
      for (const auto& [id, why] : resumed.unreadable)
        std::printf("UNREADABLE %s %s\n", id.c_str(), why.c_str());
    }
    std::fflush(stdout);
    size_t done = 0;
    self->receive_while([&] { return done < expected; })(
        [&](debate::debate_durable& d) {
          std::printf("DURABLE %s %u\n", d.id.c_str(), d.seq);
          std::fflush(stdout);
        },
        [&](debate::debate_finished& f) {
          ++done;
          std::printf("DONE %s %s %u %u\n", f.id.c_str(),
                      std::string{debate::to_string(f.summary.status)}.c_str(),
                      f.summary.calls_sent, f.summary.agent_calls);
          std::fflush(stdout);
        });
  }
  std::printf("ALL_DONE\n");
  std::fflush(stdout);
  return 0;
}
