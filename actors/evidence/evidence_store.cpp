#include "actors/evidence/evidence_store.hpp"

#include <algorithm>

#include "runtime/base/crypto/sha256.hpp"

namespace aragora::evidence {

std::string content_hash(std::string_view snippet) {
  return crypto::to_hex(crypto::sha256(snippet)).substr(0, 32);
}

std::optional<storage::store_error> evidence_store::put(const v1::EvidenceRecord& r,
                                                        int64_t expiry_s) {
  storage::write_batch b;
  b.put_message(storage::cf::evidence, r.id(), r, expiry_s);
  b.put(storage::cf::evidence_by_hash, r.content_hash(), r.id(), expiry_s);
  return db_->write(b, false);
}

storage::result<std::string> evidence_store::add(const new_evidence& e) {
  auto hash = content_hash(e.snippet);
  auto known = db_->get(storage::cf::evidence_by_hash, hash);
  if (!known.ok()) return known.error();
  if (known.value()) return *known.value();
  v1::EvidenceRecord r;
  r.set_id("ev-" + hash.substr(0, 16));
  r.set_content_hash(hash);
  r.set_source(e.source);
  r.set_title(e.title);
  r.set_snippet(e.snippet);
  r.set_url(e.url);
  r.set_reliability(e.reliability);
  r.set_created_s(db_->now_s());
  if (auto err = put(r, db_->expiry_for(storage::cf::evidence))) return *err;
  return r.id();
}

std::optional<storage::store_error> evidence_store::link(const std::string& evidence_id,
                                                         const std::string& debate_id) {
  auto r = get(evidence_id);
  if (!r.ok()) return r.error();
  if (!r.value())
    return storage::store_error{storage::store_errc::io_error,
                                "no evidence '" + evidence_id + "' (expired or never stored)"};
  auto record = std::move(*r.value());
  if (std::find(record.debates().begin(), record.debates().end(), debate_id) ==
      record.debates().end())
    record.add_debates(debate_id);
  // Kept as long as the longer of its own retention and the debates'.
  // 0 is "never expires" on either side.
  auto debate_keep = db_->expiry_for(storage::cf::debates);
  auto own_retention = db_->retention().of(storage::cf::evidence);
  auto own_keep = own_retention == 0 ? 0 : record.created_s() + own_retention;
  auto expiry = (debate_keep == 0 || own_keep == 0) ? 0 : std::max(debate_keep, own_keep);
  return put(record, expiry);
}

storage::result<std::optional<v1::EvidenceRecord>> evidence_store::get(const std::string& id) {
  auto raw = db_->get(storage::cf::evidence, id);
  if (!raw.ok()) return raw.error();
  if (!raw.value()) return std::optional<v1::EvidenceRecord>{};
  v1::EvidenceRecord r;
  if (!r.ParseFromString(*raw.value()))
    return storage::store_error{storage::store_errc::corrupt_record,
                                "evidence " + id + " does not parse"};
  return std::optional<v1::EvidenceRecord>{std::move(r)};
}

}  // namespace aragora::evidence
