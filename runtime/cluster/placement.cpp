#include "runtime/cluster/placement.hpp"

#include <algorithm>

namespace aragora::cluster {

std::string_view to_string(node_state s) {
  switch (s) {
    case node_state::down: return "down";
    case node_state::up: return "up";
    case node_state::draining: return "draining";
  }
  return "down";
}

placement::load_key placement::key_of(size_t i) const {
  const auto& v = nodes_[i].view;
  return {v.debates, v.pending_calls, i};
}

void placement::unindex(size_t i) { live_.erase(key_of(i)); }

void placement::reindex(size_t i) {
  if (nodes_[i].view.state == node_state::up) live_.insert(key_of(i));
}

std::optional<size_t> placement::least_loaded() const {
  if (live_.empty()) return std::nullopt;
  return std::get<2>(*live_.begin());
}

std::optional<size_t> placement::index_of(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

void placement::add_node(const std::string& name) {
  if (by_name_.count(name)) return;
  by_name_.emplace(name, nodes_.size());
  node_entry e;
  e.view.name = name;
  nodes_.push_back(std::move(e));
}

bool placement::heartbeat(const std::string& node, uint32_t pending_calls, time_point now) {
  auto i = index_of(node);
  if (!i) return false;
  unindex(*i);
  auto& v = nodes_[*i].view;
  v.pending_calls = pending_calls;
  v.last_heartbeat = now;
  if (v.state == node_state::down) v.state = v.drained ? node_state::draining : node_state::up;
  reindex(*i);
  return true;
}

std::vector<std::string> placement::expire(time_point now, std::chrono::milliseconds timeout) {
  std::vector<std::string> out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto& v = nodes_[i].view;
    if (v.state == node_state::down || !v.last_heartbeat) continue;
    if (now - *v.last_heartbeat <= timeout) continue;
    unindex(i);
    v.state = node_state::down;
    out.push_back(v.name);
  }
  return out;
}

void placement::put(const std::string& debate, size_t node, uint64_t epoch) {
  debates_[debate] = {node, epoch};
  if (node == npos) {
    orphans_.insert(debate);
    return;
  }
  unindex(node);
  nodes_[node].debates.insert(debate);
  ++nodes_[node].view.debates;
  reindex(node);
}

std::vector<assignment> placement::node_lost(const std::string& node) {
  std::vector<assignment> moved;
  auto i = index_of(node);
  if (!i) return moved;
  unindex(*i);
  auto& e = nodes_[*i];
  e.view.state = node_state::down;
  // In id order, so the same loss moves the same debates to the same places.
  std::vector<std::string> lost(e.debates.begin(), e.debates.end());
  std::sort(lost.begin(), lost.end());
  e.debates.clear();
  e.view.debates = 0;
  for (auto& d : lost) {
    auto epoch = debates_[d].epoch + 1;
    auto to = least_loaded();
    put(d, to.value_or(npos), epoch);
    if (to) moved.push_back({d, nodes_[*to].view.name, epoch});
  }
  return moved;
}

std::optional<assignment> placement::place(const std::string& debate) {
  if (debates_.count(debate)) return where(debate);
  auto to = least_loaded();
  if (!to) return std::nullopt;
  put(debate, *to, 1);
  return assignment{debate, nodes_[*to].view.name, 1};
}

std::vector<assignment> placement::place_orphans() {
  std::vector<assignment> out;
  while (!orphans_.empty()) {
    auto to = least_loaded();
    if (!to) break;
    auto d = *orphans_.begin();
    orphans_.erase(orphans_.begin());
    // An orphan's epoch already moved on when it lost its node.
    auto epoch = debates_[d].epoch;
    put(d, *to, epoch);
    out.push_back({d, nodes_[*to].view.name, epoch});
  }
  return out;
}

void placement::adopt(const std::string& debate, const std::string& node, uint64_t epoch) {
  (void)finished(debate);  // adopting again replaces
  auto i = node.empty() ? std::nullopt : index_of(node);
  put(debate, i.value_or(npos), epoch);
}

bool placement::finished(const std::string& debate) {
  auto it = debates_.find(debate);
  if (it == debates_.end()) return false;
  auto node = it->second.node;
  debates_.erase(it);
  if (node == npos) {
    orphans_.erase(debate);
    return true;
  }
  unindex(node);
  nodes_[node].debates.erase(debate);
  --nodes_[node].view.debates;
  reindex(node);
  return true;
}

bool placement::drain(const std::string& node, bool on) {
  auto i = index_of(node);
  if (!i) return false;
  unindex(*i);
  auto& v = nodes_[*i].view;
  v.drained = on;
  if (v.state != node_state::down) v.state = on ? node_state::draining : node_state::up;
  reindex(*i);
  return true;
}

std::optional<assignment> placement::where(const std::string& debate) const {
  auto it = debates_.find(debate);
  if (it == debates_.end()) return std::nullopt;
  return assignment{debate, it->second.node == npos ? std::string{} : nodes_[it->second.node].view.name,
                    it->second.epoch};
}

std::vector<node_view> placement::nodes() const {
  std::vector<node_view> out;
  out.reserve(nodes_.size());
  for (const auto& e : nodes_) out.push_back(e.view);
  return out;
}

std::optional<node_view> placement::node(const std::string& name) const {
  auto i = index_of(name);
  if (!i) return std::nullopt;
  return nodes_[*i].view;
}

std::vector<std::string> placement::debates_on(const std::string& node) const {
  auto i = index_of(node);
  if (!i) return {};
  std::vector<std::string> out(nodes_[*i].debates.begin(), nodes_[*i].debates.end());
  std::sort(out.begin(), out.end());
  return out;
}

double spread(const std::vector<node_view>& nodes) {
  uint64_t total = 0, max = 0, live = 0;
  for (const auto& n : nodes) {
    if (n.state != node_state::up) continue;
    ++live;
    total += n.debates;
    max = std::max<uint64_t>(max, n.debates);
  }
  if (live == 0 || total == 0) return 0;
  return static_cast<double>(max) / (static_cast<double>(total) / static_cast<double>(live));
}

}  // namespace aragora::cluster
