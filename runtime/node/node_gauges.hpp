#pragma once
// The gauges of this process's /metrics, read now (GET /metrics on a node; a cluster worker before
// its metrics ride a heartbeat to the edge).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.hpp"

namespace aragora::node {

/// What a cluster's edge counts for the whole cluster (the debates it places and follows): a
/// worker's own would count them twice, so the edge serves these from itself alone.
inline constexpr std::string_view cluster_wide_families[] = {
    "aragora_debates_in_flight", "aragora_debates_started_total", "aragora_debates_finished_total",
    "aragora_debate_duration_seconds"};

class local_node;

/// Sets the agent queues, the memory budget, RSS, CPU, the data dir's disk and the store's
/// families (when `db`), and the debates running when `running` is given; returns the families'
/// sizes it read.
std::vector<storage::store::family_size> refresh_node_gauges(local_node& node, storage::store* db,
                                                            const std::string& data_dir,
                                                            uint64_t budget_bytes,
                                                            std::optional<size_t> running);

}  // namespace aragora::node
