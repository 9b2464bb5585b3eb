#pragma once
// The node behind the edge, for the fuzz targets: one finished debate (full protocol, two mock
// agents, one round, a fake clock: the same every run) with its events, result, receipt and a
// leaderboard; any other debate is not found. Or none at all (`with_debate` false): every
// read is then cheap, for a pass that exercises what comes before the handlers. It holds no state between calls, so every input runs against the same backend and a
// finding replays.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/debate/codec.hpp"
#include "actors/debate/receipt.hpp"
#include "net/edge/backend.hpp"
#include "tests/support/drive.hpp"

namespace aragora::test {

class fake_backend final : public edge::backend {
public:
  static constexpr const char* debate_id = "0190aa5c3f1-00001";

  explicit fake_backend(bool with_debate = true) : with_debate_(with_debate) {
    if (!with_debate_) return;
    auto spec = make_spec([](debate::debate_spec& s) {
      s.id = debate_id;
      s.protocol = debate::protocol_kind::full;
      s.consensus = debate::consensus_method::judge;
      s.rounds = 1;  // every kind of event once or twice: each render is cheap, the fuzzer fast
      s.agents.pop_back();
    });
    debate::debate_machine m{spec};
    for (const auto& e : drive(m, [](const auto& sp, const auto& c) { return agent::mock_reply(sp, c); }))
      debate::fill_event(m, e, events_.emplace_back());
    auto receipt = debate::make_receipt(m, std::string{"fuzz-key"});
    debate::sealed_receipt sealed;
    sealed.id = receipt.receipt_id();
    sealed.sha256 = receipt.sha256();
    debate::fill_result(m, &sealed, result_);
    *record_.mutable_spec() = debate::to_proto(*spec);
    record_.set_status(result_.status());
    record_.set_verdict(result_.verdict());
    record_.set_confidence(result_.confidence());
    record_.set_winner(result_.winner());
    *record_.mutable_created_at() = debate::to_timestamp(fake_epoch());
    *record_.mutable_completed_at() = debate::to_timestamp(fake_epoch());
    record_.set_last_seq(events_.empty() ? 0 : events_.back().seq());
    *record_.mutable_receipt() = receipt;
    receipt_ = std::move(receipt);
    for (auto [name, elo] : {std::pair{"supportive", 1516.0}, {"critical", 1500.0}, {"balanced", 1484.0}}) {
      auto* a = board_.add_agents();
      a->set_name(name);
      a->set_elo(elo);
      a->set_debates(1);
      (*a->mutable_domain_elo())["general"] = elo;
    }
  }

  debate::debate_spec base_spec() override {
    debate::debate_spec s;
    s.agents = default_agents();
    return s;
  }
  edge::api_result<v1::DebateSpec> start(debate::debate_spec spec) override {
    spec.id = "0190aa5c3f1-00002";
    return debate::to_proto(spec);
  }
  edge::api_result<std::pair<v1::DebateResult, v1::DebateRecord>> debate(
      const std::string& id) override {
    if (!with_debate_ || id != debate_id) return not_found(id);
    return std::pair{result_, record_};
  }
  edge::api_result<edge::debate_page> list(uint32_t limit, uint64_t offset,
                                           const std::string& status) override {
    // As the store's make_query refuses them (the API passes both through).
    if (!status.empty() && status != "running" && status != "completed" && status != "failed" &&
        status != "cancelled")
      return edge::api_error{edge::api_errc::invalid_value, "unknown status '" + status + "'"};
    if (offset > UINT32_MAX)
      return edge::api_error{edge::api_errc::invalid_value, "the offset must be within 0..2^32-1"};
    edge::debate_page page;
    if (with_debate_ && limit > 0 && offset == 0 && (status.empty() || status == "completed"))
      page.ids.push_back(debate_id);
    return page;
  }
  edge::api_result<v1::DebateRecord> record(const std::string& id) override {
    if (!with_debate_ || id != debate_id) return not_found(id);
    return record_;
  }
  uint64_t version(const std::string&) override { return 0; }  // finished: it never changes
  uint64_t list_version() override { return 1; }
  edge::api_result<std::vector<v1::Event>> events(const std::string& id, uint32_t after,
                                                  uint32_t limit,
                                                  v1::DebateRecord* record) override {
    if (!with_debate_ || id != debate_id) return not_found(id);
    if (record) *record = record_;
    std::vector<v1::Event> out;
    for (const auto& e : events_)
      if (e.seq() > after && out.size() < limit) out.push_back(e);
    return out;
  }
  std::optional<edge::api_error> cancel(const std::string& id, const std::string&) override {
    if (!with_debate_ || id != debate_id) return not_found(id);
    return edge::api_error{edge::api_errc::conflict, "debate " + id + " has ended"};
  }
  edge::api_result<v1::Receipt> receipt(const std::string& id) override {
    if (!with_debate_ || id != debate_id) return not_found(id);
    return receipt_;
  }
  edge::api_result<v1::Leaderboard> leaderboard(const std::string& domain) override {
    auto b = board_;
    b.set_domain(domain);
    return b;
  }
  std::vector<debate::agent_spec> agent_catalog() override { return default_agents(); }
  edge::health_report health() override { return {}; }
  edge::cluster_view cluster() override { return {}; }
  std::optional<edge::api_error> drain(const std::string& node, bool) override { return not_found(node); }
  std::vector<edge::breaker_status> breakers() override { return {{"local", "store", "store", "closed"}}; }
  edge::api_result<edge::compact_report> compact() override { return edge::compact_report{"local", 1, 2, 1}; }
  edge::api_result<edge::backup_report> backup(std::string_view node) override {
    if (!node.empty() && node != "local") return not_found(std::string{node});
    return edge::backup_report{"local", "/tmp/backups", 1, 1, 1, 1, 1, 1};
  }
  edge::api_result<edge::storage_report> storage() override {
    edge::storage_report r;
    r.node = "local";
    r.families.push_back({"debates", 10, 1, 0, std::nullopt});
    r.bytes = 10;
    return r;
  }

private:
  static edge::api_error not_found(const std::string& id) {
    return {edge::api_errc::not_found, "no debate '" + id + "'"};
  }

  bool with_debate_;
  std::vector<v1::Event> events_;
  v1::DebateResult result_;
  v1::DebateRecord record_;
  v1::Receipt receipt_;
  v1::Leaderboard board_;
};

}  // namespace aragora::test
