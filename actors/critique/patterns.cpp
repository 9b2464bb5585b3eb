#include "actors/critique/patterns.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <map>

#include "actors/debate/store/persistence.hpp"
#include "runtime/base/crypto/sha256.hpp"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/base/text/utf8.hpp"
#include "runtime/base/log/log.hpp"

namespace aragora::critique {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string marker(const std::string& debate_id) {
  return "debate/" + debate_id;
}

std::string pattern_key(const std::string& id) {
  return "pattern/" + id;
}

}  // namespace

std::string pattern_id(std::string_view issue) {
  return crypto::to_hex(crypto::sha256(lower(issue))).substr(0, 12);
}

std::string classify(std::string_view issue) {
  static const std::pair<const char*, std::vector<const char*>> kinds[] = {
      {"performance", {"performance", "latency", "slow", "throughput", "load", "scal"}},
      {"security", {"security", "secret", "auth", "vulnerab", "attack", "permission"}},
      {"correctness", {"wrong", "incorrect", "bug", "error", "fail", "rollback"}},
      {"clarity", {"unclear", "clarity", "vague", "ambiguous", "confusing"}},
      {"architecture", {"architecture", "design", "dependency", "coupling", "migration"}},
      {"completeness", {"missing", "not addressed", "no ", "incomplete", "not estimated",
                        "not discussed", "unclear"}},
      {"testing", {"test", "measur", "criteria", "baseline", "verify"}},
  };
  auto l = lower(issue);
  for (const auto& [kind, words] : kinds)
    for (const auto* w : words)
      if (l.find(w) != std::string::npos) return kind;
  return "general";
}

void observe(v1::CritiquePattern& p, const observed_issue& issue, bool reached,
             std::string_view task, int64_t now_s) {
  if (p.id().empty()) {
    p.set_id(pattern_id(issue.text));
    p.set_issue_text(issue.text);
    p.set_issue_type(classify(issue.text));
    p.set_example_task(std::string{text::utf8_prefix(task, 500)});
    p.set_first_seen_s(now_s);
  }
  auto n = p.occurrences() + 1;
  p.set_avg_severity(p.avg_severity() + (issue.severity - p.avg_severity()) / n);
  p.set_occurrences(n);
  if (reached)
    p.set_success_count(p.success_count() + 1);
  else
    p.set_failure_count(p.failure_count() + 1);
  p.set_last_seen_s(now_s);
}

std::optional<debate_critiques> critiques_of(const v1::DebateRecord& record,
                                             const std::vector<v1::Event>& events) {
  if (record.status() == v1::Status::running) return std::nullopt;
  debate_critiques c;
  c.debate_id = record.spec().id();
  c.task = record.spec().question();
  c.reached = record.status() == v1::Status::consensus_reached;
  for (const auto& e : events)
    if (e.type() == v1::EventType::critique)
      for (const auto& issue : e.message().critique().issues())
        c.issues.push_back({issue, e.message().critique().severity()});
  return c;
}

storage::result<bool> record_critiques(storage::store& db, const debate_critiques& c) {
  auto seen = db.get(storage::cf::critiques, marker(c.debate_id));
  if (!seen.ok()) return seen.error();
  if (seen.value()) return false;
  std::map<std::string, v1::CritiquePattern> touched;
  for (const auto& issue : c.issues) {
    auto id = pattern_id(issue.text);
    auto it = touched.find(id);
    if (it == touched.end()) {
      v1::CritiquePattern p;
      auto stored = db.get(storage::cf::critiques, pattern_key(id));
      if (!stored.ok()) return stored.error();
      // A pattern that cannot be read is kept as it is, never restarted from zero; the debate
      // stays unmarked, so a later reconcile records it once the pattern reads again.
      if (stored.value() && !p.ParseFromString(*stored.value())) {
        db.note_unreadable(storage::cf::critiques, pattern_key(id), 1);
        return storage::store_error{storage::store_errc::corrupt_record,
                                    "critique pattern " + id + " does not parse; kept as it is"};
      }
      it = touched.emplace(id, std::move(p)).first;
    }
    observe(it->second, issue, c.reached, c.task, db.now_s());
  }
  storage::write_batch b;
  // A pattern's retention restarts whenever it is seen again.
  auto expiry = db.expiry_for(storage::cf::critiques);
  for (const auto& [id, p] : touched)
    b.put_message(storage::cf::critiques, pattern_key(id), p, expiry);
  b.put(storage::cf::critiques, marker(c.debate_id), "", expiry);
  if (auto err = db.write(b, false)) return *err;
  return true;
}

storage::result<uint32_t> reconcile(storage::store& db) {
  auto finished = debate::finished_without_marker(db, storage::cf::critiques, marker(""));
  if (!finished.ok()) return finished.error();
  uint32_t recorded = 0;
  for (const auto& r : finished.value()) {
    std::vector<v1::Event> events;
    if (auto e = storage::scan_messages<v1::Event>(
            db, storage::cf::debate_events, debate::events_prefix(r.spec().id()),
            [&](std::string_view, v1::Event&& ev) { events.push_back(std::move(ev)); }))
      return *e;
    if (auto c = critiques_of(r, events)) {
      auto done = record_critiques(db, *c);
      if (!done.ok()) return done.error();
      recorded += done.value() ? 1 : 0;
    }
  }
  return recorded;
}

storage::result<std::vector<v1::CritiquePattern>> load_patterns(storage::store& db) {
  std::vector<v1::CritiquePattern> out;
  auto err = storage::scan_messages<v1::CritiquePattern>(
      db, storage::cf::critiques, pattern_key(""),
      [&](std::string_view, v1::CritiquePattern&& p) { out.push_back(std::move(p)); });
  if (err) return *err;
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.occurrences() > b.occurrences();
  });
  return out;
}

namespace {

caf::behavior critique_store(caf::event_based_actor* self, std::shared_ptr<storage::store> db) {
  if (auto r = reconcile(*db); !r.ok())
    log::warn("critiques", "reconcile failed: ", r.error().message);
  return {
      [=](debate_critiques& c) {
        // A failure leaves the debate unmarked: the next reconcile records it.
        if (auto r = record_critiques(*db, c); !r.ok())
          log::warn("critiques", r.error().message);
      },
      [=](supervision::ping_atom) { return caf::ok_atom::value; },
      [=](fault::stall_atom) { fault::stall_forever(self); },
  };
}

}  // namespace

caf::actor spawn_critique_store(caf::actor_system& sys, std::shared_ptr<storage::store> db) {
  return sys.spawn<caf::detached>(critique_store, std::move(db));
}

}  // namespace aragora::critique
