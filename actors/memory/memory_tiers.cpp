#include "actors/memory/memory_tiers.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <iostream>
#include <unordered_map>

#include "aragora/v1/debate.pb.h"
#include "runtime/text/utf8.hpp"

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

struct tier_state {
  static inline const char* name = "memory_tier";
  tier me = tier::slow;
  std::shared_ptr<storage::store> db;
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
  std::vector<caf::actor> peers;  // all four tiers, by tier
};

using tier_self = caf::stateful_actor<tier_state>;

void put(storage::write_batch& b, const tier_state& st, tier t, const entry& e) {
  auto keep = st.db->retention().of(cf_of(t));
  b.put_message(cf_of(t), e.id, to_proto(e), keep > 0 ? e.updated_s + keep : 0);
}

bool write(tier_self* self, const storage::write_batch& b) {
  if (auto err = self->state.db->write(b, false)) {
    std::cerr << "memory " << to_string(self->state.me) << ": " << err->message << "\n";
    return false;
  }
  return true;
}

/// Keeps the tier within its cap, lowest importance out first.
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
      [=](link_atom, std::vector<caf::actor>& peers) { self->state.peers = std::move(peers); },
      [=](remember& r) {
        auto& s = self->state;
        r.e.where = s.me;
        storage::write_batch b;
        put(b, s, s.me, r.e);
        if (write(self, b)) {
          s.add(std::move(r.e));
          enforce_cap(self);
        }
      },
      [=](adopt& a) {
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
      [=](outcome& o) {
        auto& s = self->state;
        auto it = s.index.find(o.id);
        if (it == s.index.end()) return;  // another tier holds it
        auto& e = it->second;
        auto now = s.db->now_s();
        record_outcome(e, o.success, now);
        auto step = transition(e, now);
        std::optional<tier> to;
        if (step == move::promote) to = faster(s.me);
        if (step == move::demote) to = slower(s.me);
        storage::write_batch b;
        if (!to) {
          put(b, s, s.me, e);
          (void)write(self, b);
          return;
        }
        if (step == move::promote) e.last_promotion_s = now;
        put(b, s, *to, e);
        b.erase(cf_of(s.me), e.id);
        if (!write(self, b)) return;
        auto moved = std::move(e);
        s.words.erase(moved.id);
        s.index.erase(it);
        self->send(s.peers[static_cast<size_t>(*to)], adopt{std::move(moved)});
      },
      [=](size_atom) { return static_cast<uint32_t>(self->state.index.size()); },
  };
}

struct coordinator_state {
  static inline const char* name = "memory";
  std::vector<caf::actor> tiers;
};

caf::behavior coordinator_behavior(caf::stateful_actor<coordinator_state>* self,
                          std::vector<caf::actor> tiers) {
  self->state.tiers = std::move(tiers);
  return {
      [=](remember& r) { self->send(self->state.tiers[static_cast<size_t>(tier::slow)], std::move(r)); },
      [=](outcome& o) {
        for (const auto& t : self->state.tiers) self->send(t, o);
      },
      [=](flush_atom) {
        // Replies once every tier has handled what was sent to it before.
        auto rp = std::make_shared<caf::typed_response_promise<bool>>(
            self->make_response_promise<bool>());
        auto left = std::make_shared<size_t>(self->state.tiers.size());
        for (const auto& t : self->state.tiers)
          self->request(t, std::chrono::seconds{5}, size_atom::value)
              .then([=](uint32_t) {
                      if (--*left == 0) rp->deliver(true);
                    },
                    [=](caf::error&) {
                      if (--*left == 0) rp->deliver(false);
                    });
        return *rp;
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

memory_system::memory_system(caf::actor_system& sys, std::shared_ptr<storage::store> db)
    : sys_(&sys) {
  for (auto t : all_tiers) tiers_.push_back(sys.spawn<caf::detached>(tier_behavior, t, db));
  for (const auto& t : tiers_) caf::anon_send(t, link_atom::value, tiers_);
  coordinator_ = sys.spawn(coordinator_behavior, tiers_);
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
