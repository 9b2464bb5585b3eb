#include "storage/storage_actors.hpp"

#include <caf/all.hpp>
#include <chrono>

#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/base/metrics/metrics.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/base/timer/timer_service.hpp"

namespace aragora::storage {

namespace {

// A group write stops growing here, so one write never holds a huge batch.
constexpr size_t max_group_ops = 8192;
constexpr size_t max_group_bytes = 16u << 20;

struct writer_state {
  static inline const char* name = "storage_writer";
  std::shared_ptr<store> db;
  write_batch group;
  bool sync = false;
  std::vector<std::pair<caf::strong_actor_ptr, uint64_t>> waiting;
};

using writer_self = writer_actor::stateful_pointer<writer_state>;

void flush(writer_self self) {
  auto& st = self->state;
  if (st.waiting.empty()) return;
  static auto& latency =
      metrics::process_histogram("aragora_store_write_duration_seconds",
                                 "One group write to RocksDB (and its sync, when asked), as the "
                                 "writer waits for it.",
                                 metrics::latency_buckets)
          .with({});
  auto began = std::chrono::steady_clock::now();
  auto error = st.db->write(st.group, st.sync);
  latency.observe(std::chrono::steady_clock::now() - began);
  for (auto& [who, token] : st.waiting)
    if (who) caf::anon_send(caf::actor_cast<caf::actor>(who), persist_ack{token, error});
  st.group = write_batch{};
  st.sync = false;
  st.waiting.clear();
}

writer_actor::behavior_type writer(writer_self self, std::shared_ptr<store> db) {
  self->state.db = std::move(db);
  return {
      [=](persist_request& r) {
        auto& st = self->state;
        st.group.append(std::move(r.batch));
        st.sync = st.sync || r.sync;
        st.waiting.emplace_back(self->current_sender(), r.token);
        if (self->mailbox().empty() || st.group.size() >= max_group_ops ||
            st.group.bytes() >= max_group_bytes)
          flush(self);
      },
      [=](supervision::ping_atom) {
        flush(self);
        return caf::ok_atom::value;
      },
      [=](fault::stall_atom) { fault::stall_forever(self); },
  };
}

sweeper_actor::behavior_type sweeper(sweeper_actor::pointer self, std::shared_ptr<store> db,
                                     timer::timer_service* timers, std::chrono::milliseconds interval) {
  auto next = [=] {
    timers->schedule(interval, caf::actor_cast<caf::strong_actor_ptr>(self),
                     caf::make_message(sweep_atom::value));
  };
  next();
  return {
      [=](supervision::ping_atom) { return caf::ok_atom::value; },
      [=](sweep_atom) {
        // Only families with a retention have anything to drop. Failures are the breaker's
        // business; the next sweep tries again.
        for (auto family : all_cfs)
          if (db->retention().of(family) > 0) (void)db->compact(family);
        next();
      },
  };
}

}  // namespace

writer_actor spawn_writer(caf::actor_system& sys, std::shared_ptr<store> db) {
  return sys.spawn<caf::detached>(writer, std::move(db));
}

sweeper_actor spawn_sweeper(caf::actor_system& sys, std::shared_ptr<store> db,
                            timer::timer_service& timers, std::chrono::milliseconds interval) {
  return sys.spawn<caf::detached>(sweeper, std::move(db), &timers, interval);
}

}  // namespace aragora::storage
