#pragma once
// Where each debate of the cluster runs, decided by the edge: pure, deterministic, no actors and
// no clock of its own (the caller passes the time), so it is tested and simulated at 1,000 nodes.
//
// A debate goes to the live, undrained worker with the fewest debates (ties: fewer agent calls
// pending at its last heartbeat, then the order of the cluster file). Every placement carries an epoch: a debate that
// moves gets the next one, and the journal refuses appends from an older one (fencing). Only a
// lost node's debates move; a debate with nowhere to go waits (orphaned) until a worker is back.

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace aragora::cluster {

enum class node_state : uint8_t { down, up, draining };

[[nodiscard]] std::string_view to_string(node_state s);

struct assignment {
  std::string debate;
  std::string node;
  uint64_t epoch = 0;
};

struct node_view {
  std::string name;
  node_state state = node_state::down;
  uint32_t debates = 0;        // placed here and not finished
  uint32_t pending_calls = 0;  // at its last heartbeat
  bool drained = false;        // an operator drained it: draining whenever it is alive
  std::optional<std::chrono::steady_clock::time_point> last_heartbeat;
};

class placement {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// A worker the cluster file names; down until it is heard from.
  void add_node(const std::string& name);
  /// The worker spoke (joined or a heartbeat): up again if it was down (draining stays draining).
  /// Unknown names are ignored (false): only the file's workers take debates.
  bool heartbeat(const std::string& node, uint32_t pending_calls, time_point now);
  /// Workers silent for longer than `timeout`, now down; their debates are not moved here:
  /// call node_lost for each.
  [[nodiscard]] std::vector<std::string> expire(time_point now, std::chrono::milliseconds timeout);
  /// The worker is gone: down, and each of its debates placed again with the next epoch (those
  /// with no live worker become orphans, their epoch moved on all the same so the lost node can
  /// never write to them).
  [[nodiscard]] std::vector<assignment> node_lost(const std::string& node);
  /// Places a new debate, epoch 1; nullopt when no worker is up.
  [[nodiscard]] std::optional<assignment> place(const std::string& debate);
  /// Places the orphans again (after a worker came back).
  [[nodiscard]] std::vector<assignment> place_orphans();
  /// A debate known from before (the journal after a restart): on `node` at `epoch`, or an
  /// orphan when `node` is empty.
  void adopt(const std::string& debate, const std::string& node, uint64_t epoch);
  /// The debate ended (or failed); false when it was not placed.
  bool finished(const std::string& debate);
  /// A draining worker takes no new debates and keeps those it has; false for an unknown node.
  /// Remembered while the worker is down: it comes back draining.
  bool drain(const std::string& node, bool on);

  [[nodiscard]] std::optional<assignment> where(const std::string& debate) const;
  [[nodiscard]] std::vector<node_view> nodes() const;
  [[nodiscard]] std::optional<node_view> node(const std::string& name) const;
  [[nodiscard]] size_t debates() const { return debates_.size(); }
  [[nodiscard]] size_t orphans() const { return orphans_.size(); }
  /// The debates placed on `node`.
  [[nodiscard]] std::vector<std::string> debates_on(const std::string& node) const;

private:
  struct node_entry {
    node_view view;
    std::unordered_set<std::string> debates;
  };
  struct placed {
    size_t node;  // index into nodes_; npos = orphan
    uint64_t epoch;
  };
  static constexpr size_t npos = static_cast<size_t>(-1);
  // (debates, pending calls, index): the first element is the least-loaded live worker.
  using load_key = std::tuple<uint32_t, uint32_t, size_t>;

  [[nodiscard]] load_key key_of(size_t i) const;
  void unindex(size_t i);
  void reindex(size_t i);
  [[nodiscard]] std::optional<size_t> least_loaded() const;
  void put(const std::string& debate, size_t node, uint64_t epoch);
  [[nodiscard]] std::optional<size_t> index_of(const std::string& name) const;

  std::vector<node_entry> nodes_;
  std::unordered_map<std::string, size_t> by_name_;
  std::unordered_map<std::string, placed> debates_;
  std::set<std::string> orphans_;  // ordered: placed again in id (= creation) order
  std::set<load_key> live_;        // up (not draining) workers by load
};

/// max / mean of the debates per live worker (1.0 = perfectly even); 0 without debates.
[[nodiscard]] double spread(const std::vector<node_view>& nodes);

}  // namespace aragora::cluster
