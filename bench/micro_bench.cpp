// Micro-benchmarks of the pieces a debate is made of.

#include <benchmark/benchmark.h>
#include <caf/all.hpp>

#include "actors/agent/agent_actor.hpp"
#include "actors/agent/wire_codec.hpp"
#include "actors/agent/mock_provider.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/consensus.hpp"
#include "actors/debate/convergence.hpp"
#include "actors/debate/receipt.hpp"
#include "actors/memory/continuum.hpp"
#include "net/wire/envelope.hpp"
#include "runtime/base/timer/timer_service.hpp"

namespace {

using namespace aragora;

std::shared_ptr<const debate::debate_spec> spec(uint32_t agents) {
  debate::debate_spec s;
  s.id = "0000000000000bench";
  s.question = "Should we adopt Kubernetes for our internal services?";
  for (uint32_t i = 0; i < agents; ++i)
    s.agents.push_back({"agent" + std::to_string(i), "mock",
                        std::string{agent::to_string(static_cast<agent::mock_style>(i % 4))}});
  s.rounds = 2;
  s.early_stop = false;
  return std::make_shared<const debate::debate_spec>(std::move(s));
}

void BM_ConsensusTally(benchmark::State& state) {
  auto n = static_cast<uint32_t>(state.range(0));
  std::vector<debate::ballot> ballots;
  for (uint32_t i = 0; i < n; ++i)
    ballots.push_back({static_cast<uint8_t>(i), static_cast<uint8_t>((i * 7) % n), 0.5 + (i % 5) * 0.1});
  debate::consensus_params rule;
  for (auto _ : state) benchmark::DoNotOptimize(debate::decide(rule, ballots, n));
}
BENCHMARK(BM_ConsensusTally)->Arg(3)->Arg(16);

agent::mock_options sized(uint32_t message_bytes) {
  agent::mock_options o;
  o.message_bytes = message_bytes;
  return o;
}

std::pair<std::string, std::string> two_revisions() {
  auto s = spec(3);
  debate::call_request a, b;
  a.key = {debate::phase::revise, 1, 2, debate::no_agent};
  b.key = {debate::phase::revise, 2, 2, debate::no_agent};
  return {*agent::mock_reply(*s, a, sized(2048)).text, *agent::mock_reply(*s, b, sized(2048)).text};
}

void BM_SimilarityJaccard2KB(benchmark::State& state) {
  auto [a, b] = two_revisions();
  for (auto _ : state) benchmark::DoNotOptimize(debate::jaccard_similarity(a, b));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(a.size() + b.size()));
}
BENCHMARK(BM_SimilarityJaccard2KB);

void BM_SimilarityTfIdf2KB(benchmark::State& state) {
  auto [a, b] = two_revisions();
  for (auto _ : state) benchmark::DoNotOptimize(debate::tfidf_similarity(a, b));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(a.size() + b.size()));
}
BENCHMARK(BM_SimilarityTfIdf2KB);

// A finished 3-agent, 2-round debate with 2 KB messages, driven without actors.
std::unique_ptr<debate::debate_machine> finished_debate() {
  auto s = spec(3);
  auto m = std::make_unique<debate::debate_machine>(s);
  agent::run_with_mock(*m, std::chrono::system_clock::now(), sized(2048));
  return m;
}

void BM_MessageDigest2KB(benchmark::State& state) {
  std::string text(2048, 'x');
  debate::message_fields m;
  m.round = 1;
  m.agent = "critical";
  m.at_us = 1'700'000'000'000'000;
  m.text = text;
  for (auto _ : state) benchmark::DoNotOptimize(debate::message_digest(m));
  state.SetBytesProcessed(state.iterations() * 2048);
}
BENCHMARK(BM_MessageDigest2KB);

void BM_ReceiptSeal(benchmark::State& state) {
  auto m = finished_debate();
  for (auto _ : state) benchmark::DoNotOptimize(debate::seal_receipt(*m, std::nullopt));
}
BENCHMARK(BM_ReceiptSeal)->Unit(benchmark::kMicrosecond);

void BM_ReceiptFullProto(benchmark::State& state) {
  auto m = finished_debate();
  for (auto _ : state) benchmark::DoNotOptimize(debate::make_receipt(*m, std::nullopt));
}
BENCHMARK(BM_ReceiptFullProto)->Unit(benchmark::kMicrosecond);

void BM_EventEncodeProtobuf(benchmark::State& state) {
  auto m = finished_debate();
  debate::event_ref e{7, debate::event_type::critique, 1, 5};
  std::string out;
  for (auto _ : state) {
    v1::Event ev;
    debate::fill_event(*m, e, ev);
    out.clear();
    ev.SerializeToString(&out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_EventEncodeProtobuf);

void BM_EventEncodeJson(benchmark::State& state) {
  auto m = finished_debate();
  debate::event_ref e{7, debate::event_type::critique, 1, 5};
  for (auto _ : state) {
    v1::Event ev;
    debate::fill_event(*m, e, ev);
    benchmark::DoNotOptimize(debate::to_json(ev));
  }
}
BENCHMARK(BM_EventEncodeJson);

using ping_atom = caf::atom_constant<caf::atom("ping")>;

// One agent call batch to a pooled agent actor and its reply, actor to actor, back to back.
caf::behavior round_trip_driver(caf::event_based_actor* self, agent::worker_actor agent,
                                std::shared_ptr<const debate::debate_spec> s) {
  auto left = std::make_shared<int>(0);
  auto reply_to = std::make_shared<caf::actor>();
  auto send_one = [=] {
    agent::agent_calls calls{s, {}};
    calls.requests.push_back({{debate::phase::propose, 1, 0, debate::no_agent}, {}, {}, {}, {}});
    self->send(agent, std::move(calls));
  };
  return {
      [=](ping_atom, int n, caf::actor& to) {
        *left = n;
        *reply_to = to;
        send_one();
      },
      [=](debate::call_outcomes&) {
        if (--*left > 0)
          send_one();
        else
          self->send(*reply_to, ping_atom::value);
      },
  };
}

void BM_AgentRoundTrip(benchmark::State& state) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  timer::timer_service timers;
  agent::agent_pool pool{sys, timers, 1,
                        agent::standard_providers(sized(static_cast<uint32_t>(state.range(0))))};
  auto s = spec(3);
  auto driver = sys.spawn(round_trip_driver, pool.pick("bench"), s);
  caf::scoped_actor self{sys};
  constexpr int batch = 1000;
  for (auto _ : state) {
    self->send(driver, ping_atom::value, batch, caf::actor{self});
    self->receive([](ping_atom) {});
  }
  state.SetItemsProcessed(state.iterations() * batch);
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  pool.stop();
  timers.stop();
}
BENCHMARK(BM_AgentRoundTrip)->Arg(0)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);

// -- the wire envelope (issue 8): a local send of a step's calls as today's struct vs as an
// envelope, and what crossing a node adds (CAF's binary format both ways) -------------------------

// The critique step of a 3-agent debate with 2 KB proposals: 6 calls, 3 distinct texts.
agent::agent_calls critique_step() {
  auto s = spec(3);
  debate::debate_machine m{s};
  auto now = std::chrono::system_clock::now();
  (void)m.start(now);
  for (const auto& c : std::vector<debate::call_request>(m.calls()))
    (void)m.record(agent::mock_reply(*s, c, sized(2048)), now);
  return {s, m.calls()};
}

enum class send_mode : int { plain_struct = 0, prebuilt_envelope, converted_envelope };

// Echoes what it gets; in converted mode it decodes the envelope first, as an agent would.
caf::behavior echo_actor(caf::event_based_actor* self, send_mode mode) {
  return {
      [](agent::agent_calls& c) { return std::move(c); },
      [=](wire::envelope& e) {
        if (mode == send_mode::converted_envelope)
          benchmark::DoNotOptimize(agent::from_proto(e->agent_calls()));
        return e;
      },
  };
}

caf::behavior send_driver(caf::event_based_actor* self, caf::actor echo, send_mode mode) {
  auto left = std::make_shared<int>(0);
  auto reply_to = std::make_shared<caf::actor>();
  auto calls = std::make_shared<const agent::agent_calls>(critique_step());
  auto prebuilt = std::make_shared<wire::envelope>([&] {
    v1::Envelope e;
    *e.mutable_agent_calls() = agent::to_proto(*calls);
    return wire::envelope{std::move(e)};
  }());
  auto send_one = [=] {
    switch (mode) {
      case send_mode::plain_struct: self->send(echo, agent::agent_calls{*calls}); break;
      case send_mode::prebuilt_envelope: self->send(echo, *prebuilt); break;
      case send_mode::converted_envelope: {
        v1::Envelope e;
        *e.mutable_agent_calls() = agent::to_proto(*calls);
        self->send(echo, wire::envelope{std::move(e)});
        break;
      }
    }
  };
  auto next = [=] {
    if (--*left > 0)
      send_one();
    else
      self->send(*reply_to, ping_atom::value);
  };
  return {
      [=](ping_atom, int n, caf::actor& to) {
        *left = n;
        *reply_to = to;
        send_one();
      },
      [=](agent::agent_calls&) { next(); },
      [=](wire::envelope&) { next(); },
  };
}

void BM_LocalSendOfAStep(benchmark::State& state) {
  auto mode = static_cast<send_mode>(state.range(0));
  caf::actor_system_config cfg;
  wire::add_wire_types(cfg);
  caf::actor_system sys{cfg};
  auto echo = sys.spawn(echo_actor, mode);
  auto driver = sys.spawn(send_driver, echo, mode);
  caf::scoped_actor self{sys};
  constexpr int batch = 1000;
  for (auto _ : state) {
    self->send(driver, ping_atom::value, batch, caf::actor{self});
    self->receive([](ping_atom) {});
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(mode == send_mode::plain_struct        ? "agent_calls struct"
                 : mode == send_mode::prebuilt_envelope ? "envelope (prebuilt)"
                                                        : "envelope (to_proto + from_proto)");
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
}
BENCHMARK(BM_LocalSendOfAStep)->Arg(0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// The conversion alone: a step's calls to the wire message and back (what an envelope costs a
// local send over the struct, besides the send itself).
void BM_StepCallsToProtoAndBack(benchmark::State& state) {
  auto calls = critique_step();
  for (auto _ : state) {
    auto p = agent::to_proto(calls);
    benchmark::DoNotOptimize(agent::from_proto(p));
  }
}
BENCHMARK(BM_StepCallsToProtoAndBack)->Unit(benchmark::kMicrosecond);

// What a remote send adds: the step's envelope through CAF's binary serializer and back, as BASP
// writes and reads it (the network itself not included).
void BM_EnvelopeSerializeRoundTrip(benchmark::State& state) {
  caf::actor_system_config cfg;
  wire::add_wire_types(cfg);
  caf::actor_system sys{cfg};
  v1::Envelope e;
  *e.mutable_agent_calls() = agent::to_proto(critique_step());
  auto msg = caf::make_message(wire::envelope{std::move(e)});
  std::vector<char> buf;
  for (auto _ : state) {
    buf.clear();
    caf::binary_serializer sink{sys, buf};
    if (sink(msg)) state.SkipWithError("serialize");
    caf::message back;
    caf::binary_deserializer source{sys, buf};
    if (back.load(source)) state.SkipWithError("deserialize");
    benchmark::DoNotOptimize(back);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buf.size()));
  state.SetLabel(std::to_string(buf.size()) + " bytes");
}
BENCHMARK(BM_EnvelopeSerializeRoundTrip)->Unit(benchmark::kMicrosecond);

// Scoring every entry of a full slow tier (10,000) against a question: what each recall does.
std::vector<memory::entry> memory_tier() {
  std::vector<memory::entry> out(10'000);
  for (size_t i = 0; i < out.size(); ++i) {
    auto& e = out[i];
    e.topic = "Should we adopt technology " + std::to_string(i) + " for service " +
              std::to_string(i % 97) + "?";
    e.content = "on \"" + e.topic + "\" the verdict was approved (confidence 0.80): " +
                std::string(200, 'x') + " rollout plan with a pilot and a rollback drill";
  }
  return out;
}

void BM_MemoryRecallScan10k(benchmark::State& state) {
  auto tier = memory_tier();
  std::vector<std::vector<std::string>> words;  // kept by the tier actor
  for (const auto& e : tier) words.push_back(memory::keywords(e));
  const std::string query = "Should we adopt Kubernetes for our internal services?";
  for (auto _ : state) {
    double sum = 0;
    const auto q = memory::keywords(query);
    for (const auto& w : words) sum += memory::relevance(q, w);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(tier.size()));
}
BENCHMARK(BM_MemoryRecallScan10k)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
