#pragma once
// A cluster's edge node, composed: the journal and the coordinator on the node's actor system,
// the backend turned into the cluster's edge (debates go to the workers, the journal feeds the
// stream), and the coordinator published at the node's actor port for the workers to join.

#include <caf/actor.hpp>
#include <memory>
#include <string>
#include <vector>

#include "runtime/base/error/error.hpp"
#include "runtime/config/config.hpp"
#include "runtime/node/cluster_messages.hpp"

namespace aragora::storage {
class store;
}
namespace aragora::edge {
class stream_hub;
}

namespace aragora::node {

class local_node;
class node_backend;

class cluster_edge {
public:
  /// Reads the journal's epochs and running debates (the disk: call from the main thread), starts
  /// the journal and the coordinator, and publishes the coordinator; an error says why not.
  [[nodiscard]] static expected<std::unique_ptr<cluster_edge>, cluster_errc> start(
      local_node& node, std::shared_ptr<storage::store> db, node_backend& backend,
      edge::stream_hub& hub, const config::node_config& cfg, const config::cluster_node& me);
  ~cluster_edge();
  cluster_edge(const cluster_edge&) = delete;
  cluster_edge& operator=(const cluster_edge&) = delete;

  /// The debates that were running when the journal stopped: they continue (on their workers,
  /// or moved once the workers have had a heartbeat timeout to claim them).
  [[nodiscard]] const std::vector<std::string>& unfinished() const { return unfinished_; }
  [[nodiscard]] uint16_t actor_port() const { return port_; }
  /// Blocking: from a thread that is not a CAF scheduler's.
  /// Every node as the coordinator sees it; `with_metrics`: each worker's last /metrics too.
  [[nodiscard]] cluster_status status(bool with_metrics = false);
  [[nodiscard]] bool drain(const std::string& node, bool on);

private:
  cluster_edge(local_node& node) : node_(node) {}
  local_node& node_;
  caf::actor journal_;
  caf::actor coordinator_;
  std::vector<std::string> unfinished_;
  uint16_t port_ = 0;
};

}  // namespace aragora::node
