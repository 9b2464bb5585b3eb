#pragma once
// Envelopes of every kind wire.proto has, filled from a real debate (the mock provider, a fake
// clock): what the wire tests send, echo and compare. Used by the unit tests, the integration test
// and its peer process, so both ends build the same ones.

#include <memory>
#include <string>
#include <vector>

#include "actors/agent/wire_codec.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/receipt.hpp"
#include "actors/debate/actor/wire_codec.hpp"
#include "tests/support/drive.hpp"

namespace aragora::test {

/// The spec of the sample debate: full protocol (every phase and a judge), three mock agents.
inline std::shared_ptr<const debate::debate_spec> wire_spec(std::string id = "0190aa5c3f1-00001") {
  debate::debate_spec s;
  s.id = std::move(id);
  s.question = "Should the ledger service move to event sourcing? (naïve ≠ wrong)";
  s.agents = default_agents();
  s.protocol = debate::protocol_kind::full;
  s.consensus = debate::consensus_method::judge;
  s.rounds = 2;
  s.early_stop = false;
  s.seed = 7;
  s.context = "Earlier: the team chose PostgreSQL.";
  s.requested_by = "alice";
  return std::make_shared<const debate::debate_spec>(std::move(s));
}

/// A debate driven to its end; every step's calls, in order, are kept in `steps`.
struct wire_debate {
  std::unique_ptr<debate::debate_machine> machine;
  std::vector<debate::event_ref> events;
  std::vector<std::vector<debate::call_request>> steps;
};

inline wire_debate run_wire_debate(std::shared_ptr<const debate::debate_spec> spec) {
  wire_debate d;
  d.machine = std::make_unique<debate::debate_machine>(std::move(spec));
  auto& m = *d.machine;
  auto now = fake_epoch();
  auto tick = [&] { return now += std::chrono::milliseconds{1}; };
  auto r = m.start(tick());
  d.events.insert(d.events.end(), r.events.begin(), r.events.end());
  while (!m.finished()) {
    auto calls = m.calls();  // a copy: recording changes the machine's
    d.steps.push_back(calls);
    for (const auto& c : calls) {
      auto out = m.record(agent::mock_reply(m.spec(), c), tick());
      d.events.insert(d.events.end(), out.events.begin(), out.events.end());
      if (m.finished()) break;
    }
  }
  return d;
}

/// Every event of a finished debate, as subscribers get them.
inline std::vector<v1::Event> wire_events(const wire_debate& d) {
  std::vector<v1::Event> out;
  for (const auto& e : d.events) debate::fill_event(*d.machine, e, out.emplace_back());
  return out;
}

inline debate::sealed_receipt wire_receipt(const debate::debate_machine& m) {
  return debate::seal_receipt(m, std::string{"wire-test-key"});
}

inline debate::debate_finished wire_finished(const wire_debate& d) {
  const auto& m = *d.machine;
  debate::debate_finished f;
  f.id = m.spec().id;
  f.summary.status = m.outcome().status;
  f.summary.reached = m.outcome().reached;
  f.summary.agent_calls = m.agent_calls();
  f.summary.failed_calls = m.failed_calls();
  f.summary.started_at = m.started_at();
  f.summary.finished_at = m.outcome().at;
  f.summary.first_message_at = m.transcript().front().at;
  f.summary.calls_sent = m.agent_calls();
  f.receipt = wire_receipt(m);
  f.machine = std::shared_ptr<const debate::debate_machine>(d.machine.get(), [](auto*) {});
  return f;
}

/// One populated envelope per kind of wire.proto, in field-number order.
inline std::vector<v1::Envelope> wire_samples() {
  auto spec = wire_spec();
  auto d = run_wire_debate(spec);
  const auto& m = *d.machine;
  const auto& id = spec->id;
  auto events = wire_events(d);
  std::vector<v1::Envelope> out;
  out.reserve(32);  // references into it are held while the next one is filled
  auto add = [&]() -> v1::Envelope& { return out.emplace_back(); };

  auto& start = *add().mutable_start_debate();
  *start.mutable_spec() = debate::to_proto(*spec);
  start.set_subscribe(true);
  start.set_report(v1::ReportDetail::summary);

  auto& cancel = *add().mutable_cancel_debate();
  cancel.set_debate_id(id);
  cancel.set_reason("operator asked: «stop» \n(line two)");
  cancel.set_by("alice");

  auto& subscribe = *add().mutable_subscribe_debate();
  subscribe.set_debate_id(id);
  subscribe.set_after_seq(7);

  // The convergence event: it carries a map.
  for (const auto& e : events)
    if (e.has_convergence()) {
      *add().mutable_event() = e;
      break;
    }

  add().mutable_get_debate()->set_debate_id(id);

  auto& list = *add().mutable_list_debates();
  list.set_limit(20);
  list.set_offset(40);
  list.set_status("completed");

  auto& get_events = *add().mutable_get_events();
  get_events.set_debate_id(id);
  get_events.set_since(3);
  get_events.set_limit(100);

  add().mutable_debate_started()->set_debate_id(id);

  auto& cancelled = *add().mutable_cancel_reply();
  cancelled.set_debate_id(id);
  cancelled.set_was_running(true);

  auto& subscribed = *add().mutable_subscribed();
  subscribed.set_debate_id(id);
  subscribed.set_last_seq(m.last_seq());

  auto receipt = wire_receipt(m);
  debate::fill_result(m, &receipt, *add().mutable_debate());

  auto& page = *add().mutable_debate_page();
  for (int i = 0; i < 2; ++i) {
    auto* entry = page.add_debates();
    entry->set_id(id + std::to_string(i));
    entry->set_question(spec->question);
    entry->set_status(i == 0 ? "completed" : "running");
    entry->set_verdict(i == 0 ? "approved" : "");
    *entry->mutable_created_at() = debate::to_timestamp(fake_epoch() + std::chrono::seconds{i});
  }
  page.set_total(42);
  page.set_limit(2);
  page.set_offset(0);

  auto& event_page = *add().mutable_event_page();
  event_page.set_debate_id(id);
  for (size_t i = 3; i < 8 && i < events.size(); ++i) *event_page.add_events() = events[i];
  event_page.set_next_seq(event_page.events(event_page.events_size() - 1).seq() + 1);

  auto& error = *add().mutable_error();
  error.set_code("not_found");
  error.set_message("no debate \"" + id + "x\"");

  // Every call of the debate in one batch: every kind of input (texts, critiques, proposals,
  // ballots, judge attempts).
  agent::agent_calls calls;
  calls.spec = spec;
  for (const auto& step : d.steps) calls.requests.insert(calls.requests.end(), step.begin(), step.end());
  *add().mutable_agent_calls() = agent::to_proto(calls);

  debate::call_outcomes outcomes;
  for (const auto& c : d.steps.back()) outcomes.items.push_back(agent::mock_reply(*spec, c));
  debate::call_outcome failed;
  failed.key = d.steps[1].front().key;
  failed.error = debate::call_errc::timeout;
  failed.error_message = "no reply within the agent timeout of 240000 ms";
  outcomes.items.push_back(failed);
  *add().mutable_agent_outcomes() = agent::to_proto(id, outcomes);

  *add().mutable_debate_report() = debate::to_proto(wire_finished(d));

  // The cluster.
  v1::Placement placed;
  placed.set_debate_id(id);
  placed.set_epoch(3);
  placed.set_node("worker-2");
  auto& hello = *add().mutable_node_hello();
  hello.set_node("worker-2");
  *hello.add_running() = placed;
  auto& welcome = *add().mutable_welcome();
  welcome.set_node("edge");
  welcome.set_heartbeat_interval_ms(250);
  welcome.add_stop("0190aa5c3f1-00009");
  auto& beat = *add().mutable_heartbeat();
  beat.set_node("worker-2");
  beat.set_debates_in_flight(12);
  beat.set_calls_pending(31);
  auto& b = *beat.add_breakers();
  beat.set_has_breakers(true);
  b.set_name("supervisor/agents");
  b.set_kind("supervisor");
  b.set_state("half_open");
  b.set_restarts(3);
  auto& place = *add().mutable_place_debate();
  place.set_epoch(2);
  *place.mutable_spec() = debate::to_proto(*spec);
  for (const auto& e : events) *place.add_events() = e;
  *add().mutable_placement() = placed;
  auto& append = *add().mutable_journal_append();
  append.set_debate_id(id);
  append.set_epoch(3);
  append.set_sync(true);
  auto& w = *append.add_writes();
  w.set_family(1);
  w.set_key(id + std::string{"/\x00\x00\x00\x01", 5});
  w.set_value(std::string{"\x01\x00\x00\x00\x00\x00\x00\x00payload", 15});
  append.add_writes()->set_erase(true);
  auto& ack = *add().mutable_journal_ack();
  ack.set_debate_id(id);
  ack.set_fenced(true);
  ack.set_epoch(4);
  *add().mutable_journal_batch()->add_appends() = append;
  *add().mutable_journal_acks()->add_acks() = ack;
  add().mutable_release_debates()->add_debate_ids(id);
  auto& call = *add().mutable_api_call();
  call.set_id(7);
  call.set_method("GET");
  call.set_target("/api/v1/debates?limit=5");
  auto& reply = *add().mutable_api_reply();
  reply.set_id(7);
  reply.set_status(200);
  reply.set_body(R"({"debates":[]})");
  reply.set_content_type("application/json");
  auto& notice = *add().mutable_notice();
  notice.set_debate_id(id);
  notice.set_kind("node_down");
  notice.set_data(R"({"node":"worker-1"})");
  return out;
}

}  // namespace aragora::test
