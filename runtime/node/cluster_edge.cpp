#include "runtime/node/cluster_edge.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "net/wire/envelope.hpp"
#include "runtime/base/log/log.hpp"
#include "runtime/node/coordinator.hpp"
#include "runtime/node/journal.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/node/node_backend.hpp"

namespace aragora::node {

namespace {

constexpr auto ask_timeout = std::chrono::seconds{15};

std::string render(caf::actor_system& sys, const caf::error& err) { return sys.render(err); }

}  // namespace

expected<std::unique_ptr<cluster_edge>, cluster_errc> cluster_edge::start(
    local_node& node, std::shared_ptr<storage::store> db, node_backend& backend,
    edge::stream_hub& hub, const config::node_config& cfg, const config::cluster_node& me) {
  std::unique_ptr<cluster_edge> out{new cluster_edge(node)};
  auto& sys = node.system();
  auto epochs = load_epochs(*db);
  auto unfinished = unfinished_debates(*db, epochs);
  for (const auto& [id, epoch] : unfinished) out->unfinished_.push_back(id);
  out->journal_ = spawn_journal(sys, db, std::move(epochs),
                                {backend.sink(), [&node] { return node.ranking(); }, caf::actor{}});
  coordinator_options opts{cfg.cluster, me.name, std::move(unfinished)};
  out->coordinator_ = spawn_coordinator(sys, std::move(opts), out->journal_, backend.sink(), &hub);
  caf::anon_send(out->journal_, connect_atom::value, out->coordinator_);
  auto coordinator = out->coordinator_;
  cluster_hooks hooks;
  hooks.self_name = me.name;
  hooks.place = [&sys, coordinator](const v1::DebateSpec& spec) -> std::optional<edge::api_error> {
    caf::scoped_actor self{sys};
    v1::Envelope e;
    *e.mutable_start_debate()->mutable_spec() = spec;
    std::optional<edge::api_error> err;
    self->request(coordinator, ask_timeout, place_atom::value, wire::envelope{std::move(e)})
        .receive([](wire::envelope&) {},
                 [&](caf::error& x) {
                   err = edge::api_error{edge::api_errc::unavailable, "no worker took the debate: " + render(sys, x)};
                 });
    return err;
  };
  hooks.cancel = [&sys, coordinator](const std::string& id, const std::string& by) -> edge::api_result<bool> {
    caf::scoped_actor self{sys};
    v1::Envelope e;
    auto& c = *e.mutable_cancel_debate();
    c.set_debate_id(id);
    c.set_reason("cancelled over the API by " + by);
    c.set_by(by);
    edge::api_result<bool> out = edge::api_error{edge::api_errc::unavailable, "the cluster did not answer"};
    self->request(coordinator, ask_timeout, cancel_atom::value, wire::envelope{std::move(e)})
        .receive(
            [&](wire::envelope& r) {
              out = r.kind() == v1::Envelope::kCancelReply && r->cancel_reply().was_running();
            },
            [&](caf::error& x) {
              out = edge::api_error{edge::api_errc::unavailable, "cannot cancel now: " + render(sys, x)};
            });
    return out;
  };
  auto* self_ptr = out.get();
  hooks.running = [self_ptr] {
    size_t n = 0;
    for (const auto& s : self_ptr->status().nodes) n += s.debates_in_flight;
    return n;
  };
  hooks.status = [self_ptr] {
    edge::cluster_view v;
    auto s = self_ptr->status();
    v.orphans = s.orphans;
    for (auto& n : s.nodes) {
      edge::cluster_view::node o;
      o.name = std::move(n.name);
      o.roles = std::move(n.roles);
      o.address = std::move(n.address);
      o.status = std::move(n.status);
      o.debates_in_flight = n.debates_in_flight;
      o.calls_pending = n.calls_pending;
      if (n.since_heartbeat) o.since_heartbeat_ms = n.since_heartbeat->count();
      o.breakers = breakers_of(o.name, n.breakers);
      v.nodes.push_back(std::move(o));
    }
    return v;
  };
  hooks.drain = [self_ptr](const std::string& node, bool on) -> std::optional<edge::api_error> {
    if (self_ptr->drain(node, on)) return std::nullopt;
    return edge::api_error{edge::api_errc::not_found, "no worker '" + node + "' in the cluster file"};
  };
  backend.use_cluster(std::move(hooks));
  (void)backend.follow_running(out->unfinished_);
  // Blocking, on the caller's (main) thread: the workers join here.
  auto port = sys.middleman().publish(coordinator, me.actor_port, me.host.c_str(), true);
  if (!port)
    return error<cluster_errc>{cluster_errc::cannot_listen,
                               "cannot listen for the cluster on " + me.host + ":" +
                                   std::to_string(me.actor_port) + ": " + sys.render(port.error())};
  out->port_ = *port;
  return out;
}

cluster_edge::~cluster_edge() {
  caf::anon_send_exit(coordinator_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(journal_, caf::exit_reason::user_shutdown);
}

cluster_status cluster_edge::status(bool with_metrics) {
  caf::scoped_actor self{node_.system()};
  cluster_status out;
  self->request(coordinator_, ask_timeout, status_atom::value, with_metrics)
      .receive([&](cluster_status& s) { out = std::move(s); }, [](caf::error&) {});
  return out;
}

bool cluster_edge::drain(const std::string& node, bool on) {
  caf::scoped_actor self{node_.system()};
  bool ok = false;
  self->request(coordinator_, ask_timeout, drain_atom::value, node, on)
      .receive([&](bool r) { ok = r; }, [](caf::error&) {});
  return ok;
}

}  // namespace aragora::node
