#include "runtime/node/epoch_table.hpp"

#include <algorithm>

namespace aragora::node {

uint64_t epoch_table::of(const std::string& debate) const {
  auto it = moved_.find(debate);
  return it == moved_.end() ? 1 : it->second;
}

epoch_table::verdict epoch_table::check(const std::string& debate, uint64_t epoch) {
  auto cur = of(debate);
  if (epoch < cur) return verdict::stale;
  if (epoch == cur) return verdict::current;
  moved_[debate] = epoch;
  return verdict::newer;
}

uint64_t epoch_table::advance(const std::string& debate, uint64_t at_least) {
  auto next = std::max(of(debate) + 1, at_least);
  moved_[debate] = next;
  return next;
}

void epoch_table::set(const std::string& debate, uint64_t epoch) {
  if (epoch <= 1) return;
  auto& e = moved_[debate];
  e = std::max(e, epoch);
}

}  // namespace aragora::node
