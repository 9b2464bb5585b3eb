#pragma once
// Evidence (aragora-semantics §4.4): external snippets debates rely on, deduplicated by content
// (`evidence_by_hash`: the first 32 hex digits of SHA-256 of the snippet -> evidence id). Kept
// 90 days by default; linking evidence to a debate keeps it as long as that debate is kept.
//
// Reads and writes the store: call from a non-scheduler thread; not meant for concurrent writers
// of the same snippet (one owner per node).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aragora/v1/debate.pb.h"
#include "storage/store.hpp"

namespace aragora::evidence {

[[nodiscard]] std::string content_hash(std::string_view snippet);

struct new_evidence {
  std::string source;
  std::string title;
  std::string snippet;
  std::string url;
  double reliability = 0.5;
};

class evidence_store {
public:
  explicit evidence_store(std::shared_ptr<storage::store> db) : db_(std::move(db)) {}

  /// Stores the evidence and returns its id; the same snippet again returns the first id.
  [[nodiscard]] storage::result<std::string> add(const new_evidence& e);

  /// Links evidence to a debate: it is then kept at least as long as the debate.
  [[nodiscard]] std::optional<storage::store_error> link(const std::string& evidence_id,
                                                         const std::string& debate_id);

  [[nodiscard]] storage::result<std::optional<v1::EvidenceRecord>> get(const std::string& id);

private:
  [[nodiscard]] std::optional<storage::store_error> put(const v1::EvidenceRecord& r,
                                                        int64_t expiry_s);

  std::shared_ptr<storage::store> db_;
};

}  // namespace aragora::evidence
