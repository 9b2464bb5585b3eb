// The other node of the wire test (tests/integration/wire_node_test.cpp), a separate process.
//
//   wire_peer serve
//     Publishes a peer_actor on 127.0.0.1 (a free port), prints "PORT <n>" and serves until its
//     stdin closes. It runs debates with the mock provider (the pure machine, the wire samples'
//     fake clock), streams their events, answers queries, runs agent calls and echoes.
//
//   wire_peer hostile <port>
//     A peer that registers its own type under the envelope's name and sends the actor published
//     at <port> requests with frames a real envelope never has (garbage, a length over the limit,
//     a length past the end, a string that is not UTF-8), each between two valid envelopes. It
//     prints "ANSWERED <n>" for each valid one answered and "REFUSED <category> <code>" for each
//     bad one refused, and exits 0 if every request got its answer.

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "net/wire/unreadable.hpp"
#include "runtime/base/defaults.hpp"
#include "tests/support/wire_peer.hpp"
#include "tests/support/wire_samples.hpp"

using namespace aragora;
using wire::envelope;

namespace {

// -- serve ---------------------------------------------------------------------------------------

struct peer_state {
  std::map<std::string, test::wire_debate> debates;
  static inline const char* name = "wire_peer";
};

envelope error_envelope(std::string code, std::string message) {
  v1::Envelope e;
  e.mutable_error()->set_code(std::move(code));
  e.mutable_error()->set_message(std::move(message));
  return envelope{std::move(e)};
}

std::string list_status(debate::debate_status s) {
  switch (s) {
    case debate::debate_status::running: return "running";
    case debate::debate_status::failed: return "failed";
    case debate::debate_status::cancelled: return "cancelled";
    default: return "completed";
  }
}

using peer_pointer = test::peer_actor::stateful_pointer<peer_state>;

/// Sends `d`'s events with seq > after to `to`.
void stream_events(peer_pointer self, const wire::subscriber_actor& to,
                   const test::wire_debate& d, uint32_t after) {
  for (auto& e : test::wire_events(d)) {
    if (e.seq() <= after) continue;
    v1::Envelope env;
    *env.mutable_event() = std::move(e);
    self->send(to, wire::event_atom::value, envelope{std::move(env)});
  }
}

caf::result<envelope> command(peer_pointer self, const envelope& in) {
  auto& debates = self->state.debates;
  // Read before make_response_promise: in CAF 0.17 the promise takes the sender out of the
  // current message, and current_sender() is null after it.
  auto to = caf::actor_cast<wire::subscriber_actor>(self->current_sender());
  switch (in.kind()) {
    case v1::Envelope::kStartDebate: {
      const auto& start = in->start_debate();
      auto spec = std::make_shared<debate::debate_spec>(debate::from_proto(start.spec()));
      if (auto bad = debate::validate(*spec))
        return error_envelope("bad_request", std::string{debate::to_string(bad->code)});
      if (debates.count(spec->id)) return error_envelope("conflict", "debate exists: " + spec->id);
      auto& d = debates[spec->id] = test::run_wire_debate(spec);
      // The answer first, then the stream: deliver the promise before sending the events.
      auto rp = self->make_response_promise<envelope>();
      v1::Envelope started;
      started.mutable_debate_started()->set_debate_id(spec->id);
      rp.deliver(envelope{std::move(started)});
      if (start.subscribe()) stream_events(self, to, d, 0);
      auto finished = test::wire_finished(d);
      if (start.report() == v1::ReportDetail::summary) finished.machine = nullptr;
      v1::Envelope report;
      *report.mutable_debate_report() = debate::to_proto(finished);
      self->send(to, wire::report_atom::value, envelope{std::move(report)});
      return rp;
    }
    case v1::Envelope::kCancelDebate: {
      v1::Envelope reply;
      reply.mutable_cancel_reply()->set_debate_id(in->cancel_debate().debate_id());
      reply.mutable_cancel_reply()->set_was_running(false);  // these debates end at once
      return envelope{std::move(reply)};
    }
    case v1::Envelope::kSubscribeDebate: {
      const auto& sub = in->subscribe_debate();
      auto it = debates.find(sub.debate_id());
      if (it == debates.end()) return error_envelope("not_found", sub.debate_id());
      auto rp = self->make_response_promise<envelope>();
      v1::Envelope reply;
      reply.mutable_subscribed()->set_debate_id(sub.debate_id());
      reply.mutable_subscribed()->set_last_seq(it->second.machine->last_seq());
      rp.deliver(envelope{std::move(reply)});
      stream_events(self, to, it->second, sub.after_seq());
      return rp;
    }
    default:
      return error_envelope("unsupported",
                            std::string{wire::kind_name(in.kind())} + " is not a command");
  }
}

envelope query(peer_pointer self, const envelope& in) {
  auto& debates = self->state.debates;
  switch (in.kind()) {
    case v1::Envelope::kGetDebate: {
      auto it = debates.find(in->get_debate().debate_id());
      if (it == debates.end()) return error_envelope("not_found", in->get_debate().debate_id());
      const auto& m = *it->second.machine;
      auto receipt = test::wire_receipt(m);
      v1::Envelope reply;
      debate::fill_result(m, &receipt, *reply.mutable_debate());
      return envelope{std::move(reply)};
    }
    case v1::Envelope::kListDebates: {
      const auto& q = in->list_debates();
      v1::Envelope reply;
      auto& page = *reply.mutable_debate_page();
      uint32_t matching = 0;
      // Newest first: ids sort by creation time.
      for (auto it = debates.rbegin(); it != debates.rend(); ++it) {
        const auto& m = *it->second.machine;
        auto status = list_status(m.outcome().status);
        if (!q.status().empty() && q.status() != status) continue;
        if (matching++ < q.offset() || static_cast<uint32_t>(page.debates_size()) >= q.limit())
          continue;
        auto* entry = page.add_debates();
        entry->set_id(it->first);
        entry->set_question(m.spec().question);
        entry->set_status(status);
        entry->set_verdict(std::string{debate::to_string(m.outcome().decision)});
        *entry->mutable_created_at() = debate::to_timestamp(m.started_at());
      }
      page.set_total(matching);
      page.set_limit(q.limit());
      page.set_offset(q.offset());
      return envelope{std::move(reply)};
    }
    case v1::Envelope::kGetEvents: {
      const auto& q = in->get_events();
      auto it = debates.find(q.debate_id());
      if (it == debates.end()) return error_envelope("not_found", q.debate_id());
      v1::Envelope reply;
      auto& page = *reply.mutable_event_page();
      page.set_debate_id(q.debate_id());
      auto limit = q.limit() == 0 ? 100u : q.limit();
      uint32_t next = q.since() + 1;
      for (auto& e : test::wire_events(it->second)) {
        if (e.seq() <= q.since() || static_cast<uint32_t>(page.events_size()) >= limit) continue;
        next = e.seq() + 1;
        *page.add_events() = std::move(e);
      }
      page.set_next_seq(next);
      return envelope{std::move(reply)};
    }
    default:
      return error_envelope("unsupported",
                            std::string{wire::kind_name(in.kind())} + " is not a query");
  }
}

/// Runs the calls with the mock; the outcomes go back in two batches, as a pool member would
/// send them when they finish at different times.
void calls(peer_pointer self, const envelope& in) {
  auto to = caf::actor_cast<caf::typed_actor<caf::reacts_to<wire::outcomes_atom, envelope>>>(
      self->current_sender());
  if (in.kind() != v1::Envelope::kAgentCalls) {
    self->send(to, wire::outcomes_atom::value,
               error_envelope("unsupported", std::string{wire::kind_name(in.kind())}));
    return;
  }
  auto decoded = agent::from_proto(in->agent_calls());
  if (!decoded) {
    self->send(to, wire::outcomes_atom::value,
               error_envelope(std::string{decoded.error().code_name()}, decoded.error().message));
    return;
  }
  const auto& c = decoded.value();
  auto half = (c.requests.size() + 1) / 2;
  for (auto [from, until] : {std::pair{size_t{0}, half}, std::pair{half, c.requests.size()}}) {
    if (from == until) continue;
    debate::call_outcomes batch;
    for (size_t i = from; i < until; ++i) batch.items.push_back(agent::mock_reply(*c.spec, c.requests[i]));
    v1::Envelope out;
    *out.mutable_agent_outcomes() = agent::to_proto(c.spec->id, batch);
    self->send(to, wire::outcomes_atom::value, envelope{std::move(out)});
  }
}

test::peer_actor::behavior_type peer(peer_pointer self) {
  self->set_default_handler(wire::refuse_unreadable());
  return {
      [=](wire::command_atom, const envelope& in) -> caf::result<envelope> {
        return command(self, in);
      },
      [=](wire::query_atom, const envelope& in) { return query(self, in); },
      [=](wire::calls_atom, const envelope& in) { calls(self, in); },
      [=](test::echo_atom, const envelope& in) { return in; },
  };
}

int serve() {
  caf::actor_system_config cfg;
  test::configure_wire_node(cfg);
  caf::actor_system sys{cfg};
  auto node = sys.spawn(peer);
  auto port = sys.middleman().publish(node, 0, "127.0.0.1", true);
  if (!port) {
    std::cerr << "publish: " << sys.render(port.error()) << "\n";
    return 1;
  }
  std::printf("PORT %u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  // The main thread waits on stdin, not a scheduler thread: EOF = the test is done.
  for (std::string line; std::getline(std::cin, line);) {
  }
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  return 0;
}

// -- hostile ---------------------------------------------------------------------------------------

/// Raw bytes in the envelope's place: what a broken or hostile peer can put there.
struct raw_frame {
  std::string bytes;  // CAF's length and the payload, as the envelope would write them
};

caf::error inspect(caf::serializer& f, raw_frame& x) {
  return x.bytes.empty() ? caf::none : f.apply_raw(x.bytes.size(), x.bytes.data());
}

caf::error inspect(caf::deserializer& f, raw_frame& x) {
  size_t n = 0;
  if (auto err = f.begin_sequence(n)) return err;
  x.bytes.assign(n, '\0');
  if (n > 0)
    if (auto err = f.apply_raw(n, x.bytes.data())) return err;
  return f.end_sequence();
}

std::string varint(uint64_t n) {
  std::string out;
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out;
}

raw_frame frame(const std::string& payload) {
  return {varint(payload.size()) + payload};
}

raw_frame valid(uint32_t n) {
  v1::Envelope e;
  e.mutable_get_events()->set_debate_id("hostile");
  e.mutable_get_events()->set_since(n);
  return frame(e.SerializeAsString());
}

int hostile(uint16_t port) {
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  cfg.add_message_type<raw_frame>(std::string{wire::envelope_type_name});
  caf::actor_system sys{cfg};
  auto target = sys.middleman().remote_actor("127.0.0.1", port);
  if (!target) {
    std::cerr << "remote_actor: " << sys.render(target.error()) << "\n";
    return 1;
  }
  const std::vector<raw_frame> bad{
      frame("\xff\xff\xff\xff"),                                       // malformed
      {varint(defaults::max_envelope_bytes + 1) + "\x0a"},             // too large
      {varint(1000) + std::string{"\x0a\x02hi", 4}},                    // truncated
      frame(std::string{"\xa2\x02\x03\x0a\x01\xff", 6}),                // not UTF-8
  };
  caf::scoped_actor self{sys};
  size_t expected = 0;
  size_t got = 0;
  auto ask = [&](const raw_frame& f, uint32_t n) {
    ++expected;
    self->request(*target, std::chrono::seconds{10}, f)
        .receive(
            [&](raw_frame&) {
              ++got;
              std::printf("ANSWERED %u\n", n);
            },
            [&](caf::error& err) {
              // A refusal of a bad frame is its answer; a timeout is not.
              if (err.category() != caf::atom("system")) ++got;
              std::printf("REFUSED %s %u\n", to_string(err.category()).c_str(),
                          static_cast<unsigned>(err.code()));
            });
    std::fflush(stdout);
  };
  uint32_t n = 0;
  ask(valid(n), n);
  for (const auto& b : bad) {
    ask(b, n);
    ++n;
    ask(valid(n), n);
  }
  return got == expected ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve") return serve();
  if (mode == "hostile" && argc > 2) return hostile(static_cast<uint16_t>(std::stoul(argv[2])));
  std::cerr << "usage: wire_peer serve | wire_peer hostile <port>\n";
  return 2;
}
