#include "net/wire/unreadable.hpp"

#include <caf/message_view.hpp>
#include <caf/sec.hpp>

#include "net/wire/envelope.hpp"

namespace aragora::wire {

caf::scheduled_actor::default_handler refuse_unreadable(unreadable_hook hook) {
  return [hook = std::move(hook)](caf::scheduled_actor* self,
                                  caf::message_view& x) -> caf::result<caf::message> {
    // No protocol message is empty: an empty one is what CAF made of one it could not read.
    if (x.content().empty()) {
      if (hook) hook(self->current_sender());
      return make_error(wire_errc::unreadable_message,
                        "a message from another node could not be read (malformed, cut short "
                        "or over the size limit)");
    }
    return caf::sec::unexpected_message;
  };
}

}  // namespace aragora::wire
