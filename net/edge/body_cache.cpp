#include "net/edge/body_cache.hpp"

namespace aragora::edge {

namespace {

// What an entry costs beyond its body: the key twice, the nodes, the counts.
size_t cost(const std::string& key, const std::string& body) { return body.size() + 2 * key.size() + 128; }

}  // namespace

body_cache::hit body_cache::get(const std::string& key, uint64_t version, clock::time_point now) {
  std::lock_guard<std::mutex> lock{mtx_};
  auto it = index_.find(key);
  if (it == index_.end()) return {};
  if (now - it->second->stored > max_age_ || it->second->version != version) {
    erase(it->second);
    return {};
  }
  order_.splice(order_.begin(), order_, it->second);
  return {it->second->body, it->second->tag};
}

void body_cache::put(const std::string& key, uint64_t version, std::string body,
                     clock::time_point now, uint8_t tag) {
  if (cost(key, body) > max_bytes_) return;
  std::lock_guard<std::mutex> lock{mtx_};
  if (auto it = index_.find(key); it != index_.end()) erase(it->second);
  bytes_ += cost(key, body);
  order_.push_front({key, std::make_shared<const std::string>(std::move(body)), now, version, tag});
  index_[key] = order_.begin();
  while (bytes_ > max_bytes_ && !order_.empty()) erase(std::prev(order_.end()));
}

void body_cache::erase(std::list<entry>::iterator it) {
  bytes_ -= cost(it->key, *it->body);
  index_.erase(it->key);
  order_.erase(it);
}

size_t body_cache::bytes() const {
  std::lock_guard<std::mutex> lock{mtx_};
  return bytes_;
}

size_t body_cache::size() const {
  std::lock_guard<std::mutex> lock{mtx_};
  return order_.size();
}

}  // namespace aragora::edge
