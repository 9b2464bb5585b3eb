#include "runtime/base/fault/fault_injector.hpp"

#include <caf/all.hpp>

namespace aragora::fault {

void injector::enroll(std::string name, caf::actor_addr a) {
  std::lock_guard<std::mutex> guard{mtx_};
  actors_[std::move(name)] = std::move(a);
}

void injector::leave(const std::string& name, const caf::actor_addr& a) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = actors_.find(name);
  if (it != actors_.end() && it->second == a) actors_.erase(it);
}

caf::actor injector::find(const std::string& name) const {
  caf::actor_addr a;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto it = actors_.find(name);
    if (it == actors_.end()) return {};
    a = it->second;
  }
  return caf::actor_cast<caf::actor>(a);
}

bool injector::crash(const std::string& name) {
  auto h = find(name);
  if (!h) return false;
  caf::anon_send_exit(h, caf::exit_reason::kill);
  return true;
}

bool injector::stall(const std::string& name) {
  auto h = find(name);
  if (!h) return false;
  caf::anon_send(h, stall_atom::value);
  return true;
}

std::vector<std::string> injector::names(std::string_view prefix) const {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& [n, a] : actors_)
    if (n.compare(0, prefix.size(), prefix) == 0) out.push_back(n);
  return out;
}

void stall_forever(caf::scheduled_actor* self) {
  self->set_default_handler(
      [](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> { return caf::skip; });
  // do_become, not become: a typed actor's become takes only its full interface.
  self->do_become(caf::behavior{[](stall_atom) {}}, true);
}

}  // namespace aragora::fault
