#pragma once
// What the wire test and its peer process share: the peer's typed interface (the proposed
// registry and agent interfaces of net/wire/interfaces.hpp, plus an echo for the tests) and the
// actor system configuration of both nodes.

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include "net/wire/envelope.hpp"
#include "net/wire/interfaces.hpp"

namespace aragora::test {

using echo_atom = caf::atom_constant<caf::atom("echo")>;

/// A node as another node sees it: registry (commands, queries), agent (calls) and an echo.
using peer_actor = wire::registry_actor::extend<
    caf::reacts_to<wire::calls_atom, wire::envelope>,
    caf::replies_to<echo_atom, wire::envelope>::with<wire::envelope>>;

inline void configure_wire_node(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  wire::add_wire_types(cfg);
  // Both nodes are on loopback and the test waits on them: fail fast on a dead peer.
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{500}});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds{5}});
}

}  // namespace aragora::test
