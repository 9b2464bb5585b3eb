#include "actors/memory/directory.hpp"

namespace aragora::memory {

directory::directory(size_t tiers, size_t max_waiting) : tiers_(tiers), max_waiting_(max_waiting) {}

std::optional<tier> directory::where(const std::string& id) const {
  auto it = slots_.find(id);
  if (it == slots_.end()) return std::nullopt;
  return it->second.at;
}

void directory::loaded(tier t, const std::vector<std::string>& ids, std::vector<action>& out) {
  const auto bit = static_cast<uint8_t>(1u << static_cast<unsigned>(t));
  if (ready() || (loaded_mask_ & bit)) return;
  loaded_mask_ |= bit;
  // A record in two families (which no move writes) keeps the tier that answered first.
  for (const auto& id : ids) slots_.try_emplace(id, t);
  if (++loaded_ < tiers_) return;
  auto waited = std::move(early_);
  early_.clear();
  waiting_ -= waited.size();
  for (auto& w : waited) {
    if (w.e)
      remember(std::move(*w.e), out);
    else
      outcome(w.id, w.success, out);
  }
}

void directory::remember(entry e, std::vector<action>& out) {
  if (!ready()) {
    if (waiting_ >= max_waiting_) {
      ++dropped_.refused;
      return;
    }
    ++waiting_;
    early_.push_back({std::move(e), {}, false});
    return;
  }
  if (slots_.count(e.id)) {
    ++dropped_.duplicate;
    return;
  }
  slots_.emplace(e.id, tier::slow);
  out.push_back(send_remember{std::move(e)});
}

void directory::outcome(const std::string& id, bool success, std::vector<action>& out) {
  if (waiting_ >= max_waiting_) {
    ++dropped_.refused;
    return;
  }
  if (!ready()) {
    ++waiting_;
    early_.push_back({std::nullopt, id, success});
    return;
  }
  auto it = slots_.find(id);
  if (it == slots_.end()) {
    ++dropped_.unknown;
    return;
  }
  ++waiting_;
  it->second.next.push_back(success);
  if (it->second.in_flight == 0) send_next(id, it->second, out);
}

void directory::send_next(const std::string& id, slot& s, std::vector<action>& out) {
  if (s.next.empty()) return;
  s.in_flight = s.next.size();
  waiting_ -= s.next.size();
  ++in_flight_;
  out.push_back(send_batch{s.at, id, std::move(s.next)});
  s.next.clear();
}

void directory::answered(const std::string& id, const batch_result& r, std::vector<action>& out) {
  auto it = slots_.find(id);
  if (it == slots_.end() || it->second.in_flight == 0) return;  // no batch of ours
  auto& s = it->second;
  const auto sent = s.in_flight;
  s.in_flight = 0;
  --in_flight_;
  switch (r.what) {
    case batch_result::status::applied:
      if (r.moved) {
        s.at = r.moved->where;
        out.push_back(send_adopt{s.at, *r.moved});
      }
      break;
    case batch_result::status::failed:
      dropped_.failed += sent;
      break;
    case batch_result::status::unknown:
      dropped_.unknown += sent + s.next.size();
      waiting_ -= s.next.size();
      slots_.erase(it);
      return;
  }
  send_next(id, s, out);
}

void directory::held(tier t, const std::string& id) {
  slots_.try_emplace(id, t);
}

void directory::forgotten(tier t, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    auto it = slots_.find(id);
    // A batch in flight will come back `unknown` and clear the slot with what waits behind it.
    if (it != slots_.end() && it->second.at == t && it->second.in_flight == 0 &&
        it->second.next.empty())
      slots_.erase(it);
  }
}

}  // namespace aragora::memory
