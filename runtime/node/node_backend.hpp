#pragma once
// The node behind the edge: debates started over HTTP run on the node's actors, store and
// ranking, exactly as `aragora ask` runs them. An event sink actor turns each debate's events
// into frames for the stream hub, once, and reports debate_end only after the result, the
// receipt and the ratings are stored (client-contract §5).

#include <caf/actor.hpp>
#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "aragora/v1/wire.pb.h"
#include "net/edge/backend.hpp"
#include "runtime/config/config.hpp"
#include "storage/column_families.hpp"

namespace aragora::storage {
class store;
}
namespace aragora::edge {
class stream_hub;
}

namespace aragora::node {

class local_node;

/// A cluster's edge: the debates run on the workers (the coordinator places them), and what the
/// journal stores reaches the sink. Every call is made from an edge I/O thread and may wait for
/// the coordinator's answer.
struct cluster_hooks {
  /// Places a new debate on a worker; an error when none takes it.
  std::function<std::optional<edge::api_error>(const v1::DebateSpec&)> place;
  /// Cancels a running debate on its worker: whether it was running there, or an error.
  std::function<edge::api_result<bool>(const std::string& id, const std::string& by)> cancel;
  /// Debates in flight on the workers.
  std::function<size_t()> running;
  /// The nodes as the coordinator sees them; drains or undrains a worker.
  std::function<edge::cluster_view()> status;
  std::function<std::optional<edge::api_error>(const std::string& node, bool on)> drain;
  std::string self_name;  // the edge node's name in the cluster file
};

/// A node's breakers as the API shows them.
[[nodiscard]] std::vector<edge::breaker_status> breakers_of(
    const std::string& node, const std::vector<v1::BreakerStatus>& breakers);

class node_backend final : public edge::backend {
public:
  /// `db` is the node's store (the edge serves durable debates only).
  node_backend(local_node& node, std::shared_ptr<storage::store> db, edge::stream_hub& hub,
               config::node_config cfg);
  ~node_backend() override;

  /// Continues the store's unfinished debates with the hub following them (at start).
  [[nodiscard]] std::vector<std::string> resume();
  /// Makes this the edge of a cluster (before follow_running and the server start).
  void use_cluster(cluster_hooks hooks);
  /// A cluster's edge at start: the hub follows the journal's running debates (they continue
  /// on the workers). Returns their ids.
  [[nodiscard]] std::vector<std::string> follow_running(const std::vector<std::string>& ids);
  /// The event sink: what the journal stores goes there (events, durability, ends).
  [[nodiscard]] caf::actor sink() const { return sink_; }
  [[nodiscard]] debate::debate_spec base_spec() override;
  [[nodiscard]] edge::api_result<v1::DebateSpec> start(debate::debate_spec spec) override;
  [[nodiscard]] edge::api_result<std::pair<v1::DebateResult, v1::DebateRecord>> debate(
      const std::string& id) override;
  [[nodiscard]] edge::api_result<edge::debate_page> list(uint32_t limit, uint64_t offset,
                                                         const std::string& status) override;
  [[nodiscard]] edge::api_result<v1::DebateRecord> record(const std::string& id) override;
  [[nodiscard]] uint64_t version(const std::string& id) override;
  [[nodiscard]] uint64_t list_version() override;
  [[nodiscard]] edge::api_result<std::vector<v1::Event>> events(const std::string& id,
                                                                uint32_t after, uint32_t limit,
                                                                v1::DebateRecord* record) override;
  [[nodiscard]] std::optional<edge::api_error> cancel(const std::string& id,
                                                      const std::string& by) override;
  [[nodiscard]] edge::api_result<v1::Receipt> receipt(const std::string& debate_id) override;
  [[nodiscard]] edge::api_result<v1::Leaderboard> leaderboard(const std::string& domain) override;
  [[nodiscard]] std::vector<debate::agent_spec> agent_catalog() override;
  [[nodiscard]] edge::health_report health() override;
  [[nodiscard]] edge::cluster_view cluster() override;
  [[nodiscard]] std::optional<edge::api_error> drain(const std::string& node, bool on) override;
  [[nodiscard]] std::vector<edge::breaker_status> breakers() override;
  [[nodiscard]] edge::api_result<edge::compact_report> compact() override;
  [[nodiscard]] edge::api_result<edge::backup_report> backup(std::string_view node) override;
  [[nodiscard]] edge::api_result<edge::storage_report> storage() override;

  /// A write of the debate is durable (the sink hears it): its version moves on, and a debate
  /// just created is in the store from now on.
  void written(const std::string& id);
  /// The debate has ended and its result is stored: what is stored of it no longer changes.
  void finished(const std::string& id);
  /// Sets the gauges read off the node and the machine (debates in flight, agent queue depth,
  /// memory budget and resident memory, the data dir's disk), before /metrics renders.
  /// `running`: the debates in flight when the caller has read them (a cluster edge, from the
  /// status it also takes the workers' metrics from); else read here.
  void refresh_gauges(const std::string& data_dir, std::optional<size_t> running = std::nullopt);

  /// The ranking actor as it runs now (the sink's barrier before debate_end).
  [[nodiscard]] caf::actor ranking_actor();

private:
  [[nodiscard]] edge::api_result<v1::DebateSpec> start_on_worker(debate::debate_spec spec);
  /// Gives a new debate its id and lists it as starting (and opens its stream): its spec.
  v1::DebateSpec register_new(debate::debate_spec& spec);

  local_node& node_;
  std::shared_ptr<storage::store> db_;
  edge::stream_hub& hub_;
  config::node_config cfg_;
  // The store's bytes per family, sampled at most once an hour (at a scrape or a storage call),
  // the last day's worth: storage()'s growth per day.
  struct size_sample {
    std::chrono::steady_clock::time_point at;
    std::array<uint64_t, storage::cf_count> bytes{};
  };
  std::mutex samples_mtx_;
  std::deque<size_sample> samples_;
  /// Keeps `bytes` (per family) as a sample when the last one is an hour old.
  void sample_sizes(const std::array<uint64_t, storage::cf_count>& bytes);
  uint64_t budget_bytes_;
  caf::actor sink_;
  std::optional<cluster_hooks> cluster_;
  std::mutex mtx_;
  // Debates started here and not yet stored (their first write is in flight): a GET right after
  // the create still finds them.
  std::unordered_map<std::string, v1::DebateSpec> starting_;
  // The version (edge::backend::version) of every debate running here.
  std::unordered_map<std::string, uint64_t> versions_;
  uint64_t next_version_ = 0;
  uint64_t list_version_ = 1;  // moved on by every start, first write and end
  // Debates that ended while resume() was still starting the others (it registers them after).
  bool resuming_ = false;
  std::unordered_set<std::string> ended_while_resuming_;
};

}  // namespace aragora::node
