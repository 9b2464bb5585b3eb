#pragma once
// The journal's fencing: each debate's current epoch. Pure. A debate never moved is at epoch 1
// and has no entry (so the table holds only moved debates: few, and bounded by retention); a
// move goes to the next epoch; an append from an older epoch is stale and refused.

#include <cstdint>
#include <string>
#include <unordered_map>

namespace aragora::node {

class epoch_table {
public:
  enum class verdict : uint8_t {
    current,  // the debate's epoch: append
    newer,    // past what the table held (the table holds it now): append, and store the epoch
    stale,    // an older epoch: refuse, the sender no longer owns the debate
  };

  [[nodiscard]] verdict check(const std::string& debate, uint64_t epoch);
  /// Moves the debate to max(current + 1, `at_least`) and returns it: from now on the old
  /// owner's appends are stale.
  [[nodiscard]] uint64_t advance(const std::string& debate, uint64_t at_least = 0);
  [[nodiscard]] uint64_t of(const std::string& debate) const;
  /// As stored (a restart loads them).
  void set(const std::string& debate, uint64_t epoch);
  [[nodiscard]] size_t size() const { return moved_.size(); }

private:
  std::unordered_map<std::string, uint64_t> moved_;
};

}  // namespace aragora::node
