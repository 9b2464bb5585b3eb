#include "net/edge/stream_hub.hpp"

#include <algorithm>

namespace aragora::edge {

void stream_hub::open(const std::string& id) {
  std::lock_guard<std::mutex> lock{mtx_};
  (void)debates_.try_emplace(id);
}

void stream_hub::publish(const std::string& id, uint32_t seq, frame f, bool last) {
  std::vector<std::shared_ptr<subscriber>> to;
  {
    std::lock_guard<std::mutex> lock{mtx_};
    auto it = debates_.find(id);
    if (it == debates_.end()) return;
    auto& d = it->second;
    if (seq <= d.published) return;
    d.published = seq;
    d.held.emplace_back(seq, f);
    if (d.held.size() > max_held_) d.held.erase(d.held.begin());
    to.reserve(d.subscribers.size());
    for (auto s = d.subscribers.begin(); s != d.subscribers.end();) {
      if (auto p = s->lock()) {
        to.push_back(std::move(p));
        ++s;
      } else {
        s = d.subscribers.erase(s);
        --subscriptions_;
      }
    }
  }
  for (const auto& s : to) s->push(id, seq, f, last);
}

void stream_hub::publish_live(const std::string& id, uint32_t seq, frame f) {
  std::vector<std::shared_ptr<subscriber>> to;
  {
    std::lock_guard<std::mutex> lock{mtx_};
    auto it = debates_.find(id);
    if (it == debates_.end()) return;
    for (const auto& w : it->second.subscribers)
      if (auto p = w.lock()) to.push_back(std::move(p));
  }
  for (const auto& s : to) s->push_live(id, seq, f);
}

void stream_hub::publish_notice(const std::string& id, frame f) {
  std::vector<std::shared_ptr<subscriber>> to;
  uint32_t seq = 0;
  {
    std::lock_guard<std::mutex> lock{mtx_};
    auto it = debates_.find(id);
    if (it == debates_.end()) return;
    seq = it->second.published;
    for (const auto& w : it->second.subscribers)
      if (auto p = w.lock()) to.push_back(std::move(p));
  }
  for (const auto& s : to) s->push_live(id, seq, f);
}

void stream_hub::durable(const std::string& id, uint32_t seq) {
  std::lock_guard<std::mutex> lock{mtx_};
  auto it = debates_.find(id);
  if (it == debates_.end()) return;
  auto& held = it->second.held;
  auto keep = std::find_if(held.begin(), held.end(), [&](const auto& h) { return h.first > seq; });
  held.erase(held.begin(), keep);
}

void stream_hub::close(const std::string& id) {
  std::lock_guard<std::mutex> lock{mtx_};
  auto it = debates_.find(id);
  if (it == debates_.end()) return;
  subscriptions_ -= it->second.subscribers.size();
  debates_.erase(it);
}

stream_hub::snapshot stream_hub::subscribe(const std::string& id,
                                           const std::shared_ptr<subscriber>& s, uint32_t after) {
  snapshot out;
  std::lock_guard<std::mutex> lock{mtx_};
  auto it = debates_.find(id);
  if (it == debates_.end()) return out;
  auto& d = it->second;
  out.live = true;
  out.published = d.published;
  for (const auto& h : d.held)
    if (h.first > after) out.held.push_back(h);
  d.subscribers.push_back(s);
  ++subscriptions_;
  return out;
}

void stream_hub::unsubscribe(const std::string& id, const subscriber* s) {
  std::lock_guard<std::mutex> lock{mtx_};
  auto it = debates_.find(id);
  if (it == debates_.end()) return;
  auto& subs = it->second.subscribers;
  auto before = subs.size();
  std::erase_if(subs, [&](const std::weak_ptr<subscriber>& w) {
    auto p = w.lock();
    return !p || p.get() == s;
  });
  subscriptions_ -= before - subs.size();
}

bool stream_hub::live(const std::string& id) const {
  std::lock_guard<std::mutex> lock{mtx_};
  return debates_.count(id) > 0;
}

size_t stream_hub::live_debates() const {
  std::lock_guard<std::mutex> lock{mtx_};
  return debates_.size();
}

size_t stream_hub::subscriptions() const {
  std::lock_guard<std::mutex> lock{mtx_};
  return subscriptions_;
}

bool stream_hub::watched(const std::string& id) const {
  std::lock_guard<std::mutex> lock{mtx_};
  auto it = debates_.find(id);
  if (it == debates_.end()) return false;
  return std::any_of(it->second.subscribers.begin(), it->second.subscribers.end(),
                     [](const auto& w) { return !w.expired(); });
}

}  // namespace aragora::edge
