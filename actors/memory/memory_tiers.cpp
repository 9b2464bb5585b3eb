#include "actors/memory/memory_tiers.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <unordered_map>

#include "aragora/v1/debate.pb.h"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/base/text/utf8.hpp"
#include "runtime/base/log/log.hpp"

namespace aragora::memory {

storage::cf cf_of(tier t) {
  switch (t) {
    case tier::fast: return storage::cf::memory_fast;
    case tier::medium: return storage::cf::memory_medium;
    case tier::slow: return storage::cf::memory_slow;
    case tier::glacial: return storage::cf::memory_glacial;
  }
  return storage::cf::memory_slow;
}

namespace {

using link_atom = caf::atom_constant<caf::atom("link")>;

v1::MemoryEntry to_proto(const entry& e) {
  v1::MemoryEntry p;
  p.set_id(e.id);
  p.set_tier(std::string{to_string(e.where)});
  p.set_topic(e.topic);
  p.set_content(e.content);
  p.set_debate_id(e.debate_id);
  p.set_importance(e.importance);
  p.set_surprise(e.surprise);
  p.set_consolidation(e.consolidation);
  p.set_updates(e.updates);
  p.set_successes(e.successes);
  p.set_failures(e.failures);
  p.set_created_s(e.created_s);
  p.set_updated_s(e.updated_s);
  p.set_last_promotion_s(e.last_promotion_s);
  return p;
}

entry from_proto(const v1::MemoryEntry& p, tier where) {
  entry e;
  e.id = p.id();
  e.where = where;
  e.topic = p.topic();
  e.content = p.content();
  e.debate_id = p.debate_id();
  e.importance = p.importance();
  e.surprise = p.surprise();
  e.consolidation = p.consolidation();
  e.updates = p.updates();
  e.successes = p.successes();
  e.failures = p.failures();
  e.created_s = p.created_s();
  e.updated_s = p.updated_s();
  e.last_promotion_s = p.last_promotion_s();
  return e;
}

using inventory_atom = caf::atom_constant<caf::atom("inventory")>;

struct tier_state {
  static inline const char* name = "memory_tier";
  tier me = tier::slow;
  std::shared_ptr<storage::store> db;
  caf::actor coordinator;  // told what the tier stores on its own (`held`) and evicts
  std::unordered_map<std::string, entry> index;
  // Each entry's keywords, worked out once: recall scores every entry of the tier.
  std::unordered_map<std::string, std::vector<std::string>> words;

  void add(entry e) {
    words[e.id] = keywords(e);
    auto id = e.id;
    index[std::move(id)] = std::move(e);
  }
  void remove(const std::string& id) {
    words.erase(id);
    index.erase(id);
  }
};

using tier_self = caf::stateful_actor<tier_state>;

void put(storage::write_batch& b, const tier_state& st, tier t, const entry& e) {
  auto keep = st.db->retention().of(cf_of(t));
  b.put_message(cf_of(t), e.id, to_proto(e), keep > 0 ? e.updated_s + keep : 0);
}

bool write(tier_self* self, const storage::write_batch& b) {
  if (auto err = self->state.db->write(b, false)) {
    log::warn("memory", to_string(self->state.me), ": ", err->message);
    return false;
  }
  return true;
}

/// Keeps the tier within its cap, lowest importance out first; the coordinator hears which went.
void enforce_cap(tier_self* self) {
  auto& st = self->state;
  const auto cap = params(st.me).cap;
  if (st.index.size() <= cap) return;
  std::vector<const entry*> all;
  all.reserve(st.index.size());
  for (const auto& [id, e] : st.index) all.push_back(&e);
  std::vector<std::string> gone;
  for (auto i : evictions(all, cap)) gone.push_back(all[i]->id);
  storage::write_batch b;
  for (auto& id : gone) {
    b.erase(cf_of(st.me), id);
    st.remove(id);
  }
  (void)write(self, b);
  if (st.coordinator) self->send(st.coordinator, forgotten{st.me, std::move(gone)});
}

bool live(const entry& e, int64_t keep, int64_t now) {
  return keep == 0 || e.updated_s + keep > now;
}

caf::behavior tier_behavior(tier_self* self, tier me, std::shared_ptr<storage::store> db) {
  auto& st = self->state;
  st.me = me;
  st.db = std::move(db);
  (void)storage::scan_messages<v1::MemoryEntry>(
      *st.db, cf_of(me), "",
      [&](std::string_view, v1::MemoryEntry&& p) { st.add(from_proto(p, me)); });
  return {
      [=](link_atom, caf::actor& coordinator) { self->state.coordinator = std::move(coordinator); },
      [=](inventory_atom) {
        std::vector<std::string> ids;
        ids.reserve(self->state.index.size());
        for (const auto& kv : self->state.index) ids.push_back(kv.first);
        return ids;
      },
      [=](remember& r) {
        auto& s = self->state;
        r.e.where = s.me;
        storage::write_batch b;
        put(b, s, s.me, r.e);
        if (!write(self, b)) return;
        if (s.coordinator) self->send(s.coordinator, held{s.me, r.e.id});
        s.add(std::move(r.e));
        enforce_cap(self);
      },
      [=](adopt& a) {
        // The giving tier already wrote the entry into this tier's family.
        auto& s = self->state;
        a.e.where = s.me;
        s.add(std::move(a.e));
        enforce_cap(self);
      },
      [=](recall_atom, const std::string& query, uint32_t k) {
        auto& s = self->state;
        const auto now = s.db->now_s();
        const auto keep = s.db->retention().of(cf_of(s.me));
        const auto query_words = keywords(query);
        std::vector<recalled> out;
        for (const auto& [id, e] : s.index) {
          if (!live(e, keep, now)) continue;
          auto rel = relevance(query_words, s.words.at(id));
          if (rel <= 0) continue;
          out.push_back({e, rel * retrieval_score(e, now)});
        }
        std::sort(out.begin(), out.end(),
                  [](const recalled& a, const recalled& b) { return a.score > b.score; });
        if (out.size() > k) out.resize(k);
        return out;
      },
      [=](outcome_batch& o) {
        auto& s = self->state;
        batch_result r;
        auto it = s.index.find(o.id);
        if (it == s.index.end()) return r;  // unknown: evicted before the batch came
        // On a copy: the index changes only once the store has it.
        auto e = it->second;
        record_outcomes(e, o.outcomes, s.db->now_s());
        storage::write_batch b;
        put(b, s, e.where, e);
        if (e.where != s.me) b.erase(cf_of(s.me), e.id);
        if (!write(self, b)) {
          r.what = batch_result::status::failed;
          return r;
        }
        r.what = batch_result::status::applied;
        if (e.where == s.me) {
          it->second = std::move(e);
        } else {
          s.remove(o.id);
          r.moved = std::move(e);  // the coordinator hands it to its new tier
        }
        return r;
      },
      [=](size_atom) { return static_cast<uint32_t>(self->state.index.size()); },
  };
}

struct coordinator_state {
  static inline const char* name = "memory";
  std::vector<caf::actor> tiers;
  memory_options options;
  std::unique_ptr<directory> dir;
  directory::drop_counts logged;  // what was last reported on stderr
  std::vector<caf::typed_response_promise<bool>> flushes;  // waiting for the directory to idle
};

using coordinator_self = caf::stateful_actor<coordinator_state>;

void run(coordinator_self* self, std::vector<directory::action>& actions);

/// Says on stderr when outcomes could not be recorded for a reason other than the entry being
/// gone (which is normal: evicted or expired entries are still recalled by running debates).
void report_drops(coordinator_self* self) {
  auto& st = self->state;
  const auto& now = st.dir->dropped();
  if (now.refused != st.logged.refused)
    log::warn("memory", now.refused - st.logged.refused, " outcomes dropped: more than ",
              st.options.max_waiting, " waiting");
  if (now.failed != st.logged.failed)
    log::warn("memory", now.failed - st.logged.failed,
              " outcomes not recorded: the tier could not write them");
  st.logged = now;
}

/// Answers the flushes once nothing waits or is in flight: then every tier is asked for its
/// size, which it answers after everything sent to it before (remembers, adopts).
void settle(coordinator_self* self) {
  auto& st = self->state;
  if (st.flushes.empty() || !st.dir->idle()) return;
  auto waiting = std::make_shared<std::vector<caf::typed_response_promise<bool>>>(
      std::move(st.flushes));
  st.flushes.clear();
  auto left = std::make_shared<size_t>(st.tiers.size());
  auto ok = std::make_shared<bool>(true);
  auto done = [=] {
    if (--*left > 0) return;
    for (auto& rp : *waiting) rp.deliver(*ok);
  };
  for (const auto& t : st.tiers)
    self->request(t, st.options.tier_timeout, size_atom::value)
        .then([=](uint32_t) { done(); },
              [=](caf::error&) {
                *ok = false;
                done();
              });
}

void send_batch(coordinator_self* self, directory::send_batch& b) {
  auto id = b.id;
  self->request(self->state.tiers[static_cast<size_t>(b.to)], self->state.options.tier_timeout,
                outcome_batch{std::move(b.id), std::move(b.outcomes)})
      .then(
          [=](batch_result& r) {
            std::vector<directory::action> next;
            self->state.dir->answered(id, r, next);
            run(self, next);
          },
          [=](caf::error& err) {
            // No answer: whether the tier wrote the batch is unknown, so it is not sent again.
            log::warn("memory", "no answer for the outcomes of ", id, ": ", caf::to_string(err));
            std::vector<directory::action> next;
            self->state.dir->answered(id, {batch_result::status::failed, std::nullopt}, next);
            run(self, next);
          });
}

/// Sends what the directory decided, in order, then reports drops and answers flushes.
void run(coordinator_self* self, std::vector<directory::action>& actions) {
  auto& st = self->state;
  for (auto& a : actions) {
    if (auto* r = std::get_if<directory::send_remember>(&a))
      self->send(st.tiers[static_cast<size_t>(tier::slow)], remember{std::move(r->e)});
    else if (auto* m = std::get_if<directory::send_adopt>(&a))
      self->send(st.tiers[static_cast<size_t>(m->to)], adopt{std::move(m->e)});
    else
      send_batch(self, std::get<directory::send_batch>(a));
  }
  report_drops(self);
  settle(self);
}

caf::behavior coordinator_behavior(coordinator_self* self, std::vector<caf::actor> tiers,
                                   memory_options options) {
  auto& st = self->state;
  st.tiers = std::move(tiers);
  st.options = options;
  st.dir = std::make_unique<directory>(st.tiers.size(), options.max_waiting);
  // One unit: a tier that dies takes the coordinator (and so its peers) with it, and the
  // supervisor starts all five again from the store.
  for (const auto& t : st.tiers) self->link_to(t);
  // Routing starts once every tier has said what it loaded from the store; until then
  // remembers and outcomes wait in the directory.
  for (auto t : all_tiers)
    self->request(st.tiers[static_cast<size_t>(t)], options.tier_timeout, inventory_atom::value)
        .then(
            [=](std::vector<std::string>& ids) {
              std::vector<directory::action> out;
              self->state.dir->loaded(t, ids, out);
              run(self, out);
            },
            [=](caf::error& err) {
              log::warn("memory", "the ", to_string(t), " tier did not list its entries: ",
                        caf::to_string(err), "; outcomes for them are dropped");
              std::vector<directory::action> out;
              self->state.dir->loaded(t, {}, out);
              run(self, out);
            });
  return {
      [=](remember& r) {
        std::vector<directory::action> out;
        self->state.dir->remember(std::move(r.e), out);
        run(self, out);
      },
      [=](outcome& o) {
        std::vector<directory::action> out;
        self->state.dir->outcome(o.id, o.success, out);
        run(self, out);
      },
      [=](held& h) { self->state.dir->held(h.t, h.id); },
      [=](forgotten& f) { self->state.dir->forgotten(f.t, f.ids); },
      [=](supervision::ping_atom) { return caf::ok_atom::value; },
      [=](fault::stall_atom) { fault::stall_forever(self); },
      [=](flush_atom) {
        // Replies once every outcome sent before is recorded (or dropped) and every tier has
        // handled what was sent to it.
        auto rp = self->make_response_promise<bool>();
        self->state.flushes.push_back(rp);
        settle(self);
        return rp;
      },
      [=](recall_atom, const std::string& query, uint32_t k) {
        auto rp = std::make_shared<caf::typed_response_promise<std::vector<recalled>>>(
            self->make_response_promise<std::vector<recalled>>());
        auto acc = std::make_shared<std::vector<recalled>>();
        auto left = std::make_shared<size_t>(self->state.tiers.size());
        auto done = [=] {
          if (--*left > 0) return;
          std::sort(acc->begin(), acc->end(),
                    [](const recalled& a, const recalled& b) { return a.score > b.score; });
          if (acc->size() > k) acc->resize(k);
          rp->deliver(std::move(*acc));
        };
        for (const auto& t : self->state.tiers)
          self->request(t, std::chrono::seconds{2}, recall_atom::value, query, k)
              .then(
                  [=](std::vector<recalled>& hits) {
                    acc->insert(acc->end(), hits.begin(), hits.end());
                    done();
                  },
                  [=](caf::error&) { done(); });
        return *rp;
      },
  };
}

}  // namespace

memory_system::memory_system(caf::actor_system& sys, std::shared_ptr<storage::store> db,
                             memory_options options)
    : sys_(&sys) {
  for (auto t : all_tiers) tiers_.push_back(sys.spawn<caf::detached>(tier_behavior, t, db));
  coordinator_ = sys.spawn(coordinator_behavior, tiers_, options);
  for (const auto& t : tiers_) caf::anon_send(t, link_atom::value, coordinator_);
}

memory_system::~memory_system() {
  stop();
}

void memory_system::stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    caf::scoped_actor self{*sys_};
    self->request(coordinator_, std::chrono::seconds{5}, flush_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
  }
  for (const auto& t : tiers_) caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
  if (coordinator_) caf::anon_send_exit(coordinator_, caf::exit_reason::user_shutdown);
}

caf::actor spawn_memory_group(caf::actor_system& sys, std::shared_ptr<storage::store> db,
                              memory_options options, fault::injector* faults) {
  std::vector<caf::actor> tiers;
  for (auto t : all_tiers) {
    tiers.push_back(sys.spawn<caf::detached>(tier_behavior, t, db));
    if (faults) faults->enroll("memory/" + std::string{to_string(t)}, tiers.back().address());
  }
  auto coordinator = sys.spawn(coordinator_behavior, tiers, options);
  for (const auto& t : tiers) caf::anon_send(t, link_atom::value, coordinator);
  return coordinator;
}

std::string context_from(const std::vector<recalled>& hits) {
  std::string out;
  for (const auto& h : hits) {
    if (!out.empty()) out += " | ";
    out += h.e.content;
    if (out.size() > 600) {
      out.resize(text::utf8_prefix(out, 600).size());
      break;
    }
  }
  return out;
}

}  // namespace aragora::memory
