#pragma once
// The fault hook's message, in a header of its own so typed actor interfaces can name it without
// pulling in the injector.

#include <caf/atom.hpp>

namespace aragora::fault {

/// Makes an actor stop answering anything (fault_injector.hpp, stall_forever).
using stall_atom = caf::atom_constant<caf::atom("f_stall")>;

}  // namespace aragora::fault
