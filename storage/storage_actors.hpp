#pragma once
// The actors that touch the disk. Both run detached, on threads of their own, so RocksDB's
// blocking calls never hold a CAF scheduler thread.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "storage/interface.hpp"
#include "storage/store.hpp"

namespace aragora::timer {
class timer_service;
}

namespace aragora::storage {

/// Writes `batch` atomically; `sync` also fsyncs. Answered by a persist_ack to the sender.
struct persist_request {
  write_batch batch;
  bool sync = false;
  uint64_t token = 0;
  std::string debate_id;  // whose writes these are (a cluster's worker replicates them by debate)
};

struct persist_ack {
  uint64_t token = 0;
  std::optional<store_error> error;
};

/// The writer: requests that queue up while a write is on disk are folded into the next write
/// (group commit), so a thousand debates finishing a step cost a few RocksDB writes, not a
/// thousand. Each requester has at most one request in flight, which bounds the queue.
[[nodiscard]] writer_actor spawn_writer(caf::actor_system& sys, std::shared_ptr<store> db);

/// The retention sweeper: compacts every column family every `interval`, which drops the
/// records whose retention has passed (reads already skip them).
[[nodiscard]] sweeper_actor spawn_sweeper(caf::actor_system& sys, std::shared_ptr<store> db,
                                          timer::timer_service& timers,
                                          std::chrono::milliseconds interval);

}  // namespace aragora::storage

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::storage::persist_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::storage::persist_ack)
