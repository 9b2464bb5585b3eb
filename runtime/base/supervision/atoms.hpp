#pragma once
// The supervision probe, in a header of its own so typed actor interfaces can name it without
// pulling in the supervisor.

#include <caf/atom.hpp>

namespace aragora::supervision {

/// Every supervised child answers (ping_atom) with ok_atom while it is healthy.
using ping_atom = caf::atom_constant<caf::atom("ping")>;
/// A supervisor answers (status_atom) with its children's std::vector<child_status>.
using status_atom = caf::atom_constant<caf::atom("sv_status")>;

}  // namespace aragora::supervision
