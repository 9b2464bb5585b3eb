#pragma once
// Critique patterns (aragora-semantics §4.2): issues that come back across debates, keyed by the
// first 12 hex digits of SHA-256 of the lower-cased issue, with how often they were raised, their
// mean severity and how the debates they were raised in ended. Aggregates, so one actor owns
// them; recording is idempotent per debate ("debate/<id>" marks a recorded debate) and the actor
// reconciles on start from the stored debates.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aragora/v1/debate.pb.h"
#include "storage/store.hpp"

namespace aragora::critique {

[[nodiscard]] std::string pattern_id(std::string_view issue);

/// performance, security, correctness, clarity, architecture, completeness, testing or general,
/// by keyword.
[[nodiscard]] std::string classify(std::string_view issue);

struct observed_issue {
  std::string text;
  double severity;
};

/// The critiques of one finished debate.
struct debate_critiques {
  std::string debate_id;
  std::string task;
  bool reached = false;
  std::vector<observed_issue> issues;
};

/// Folds one observation into a pattern (running mean severity, outcome counts).
void observe(v1::CritiquePattern& p, const observed_issue& issue, bool reached,
             std::string_view task, int64_t now_s);

/// The critiques of a stored debate, from its event log; nullopt while it runs.
[[nodiscard]] std::optional<debate_critiques> critiques_of(const v1::DebateRecord& record,
                                                           const std::vector<v1::Event>& events);

/// Records a debate's critiques unless recorded before; returns whether it was recorded now.
[[nodiscard]] storage::result<bool> record_critiques(storage::store& db, const debate_critiques& c);

/// Records every finished debate of the store that is not recorded yet.
[[nodiscard]] storage::result<uint32_t> reconcile(storage::store& db);

[[nodiscard]] storage::result<std::vector<v1::CritiquePattern>> load_patterns(storage::store& db);

/// The actor (detached) that serialises pattern updates; takes `debate_critiques` messages.
[[nodiscard]] caf::actor spawn_critique_store(caf::actor_system& sys,
                                              std::shared_ptr<storage::store> db);

}  // namespace aragora::critique

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::critique::debate_critiques)
