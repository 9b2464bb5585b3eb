#pragma once
// The provider seam: how an agent worker talks to whatever answers its calls (the mock, an HTTP
// API, a CLI subprocess). Plain C++, no actor system: a provider is started with calls, reports
// each call's token deltas and outcome to a sink, and can be told to cancel a call. Deadlines are
// not the provider's business: the call runner enforces them with the scheduler it is given (the
// node's timer service in an agent worker), and drops whatever a provider reports too late. A
// provider may still use a call's deadline (the mock does not start work it cannot finish in time),
// but never needs to: a call it never answers times out all the same.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/debate/types.hpp"

namespace aragora::agent {

using call_id = uint64_t;
using steady_clock = std::chrono::steady_clock;

/// One call handed to a provider.
struct provider_call {
  call_id id = 0;
  std::shared_ptr<const debate::debate_spec> spec;
  debate::call_request request;
  steady_clock::time_point deadline;  // the runner fails the call as a timeout at this point
  bool stream = false;                // the caller wants token deltas
  /// The provider's own reference to the call, if it wants one: set by `start` (before it
  /// returns), handed back by `cancel`, so a provider needs no index of its calls by id.
  uint64_t tag = 0;
};

/// A piece of a reply as it is generated, for live views; `seq` counts from 0 per call.
struct token_delta {
  debate::call_key key;
  uint32_t seq = 0;
  std::string text;
};

/// Where a provider reports. A provider that completes on another thread must call it from
/// there: the implementation an agent worker hands out forwards to the worker's thread.
class call_sink {
public:
  virtual ~call_sink() = default;
  /// A piece of the reply text; the pieces of one call come in order and before its outcome.
  virtual void delta(call_id id, std::string_view text) = 0;
  /// The call's outcome, once. A cancelled call may still report: the runner drops it.
  virtual void done(call_id id, debate::call_outcome outcome) = 0;
};

/// Delayed work on the thread the provider runs on: a closure runs after a delay unless
/// cancelled first. In an agent worker it is the node's timer service and the worker's mailbox.
class scheduler {
public:
  using handle = uint64_t;  // 0 is never a valid handle
  virtual ~scheduler() = default;
  [[nodiscard]] virtual steady_clock::time_point now() const = 0;
  virtual handle after(steady_clock::duration delay, std::function<void()> fn) = 0;
  /// False when the closure ran or was cancelled already.
  virtual bool cancel(handle h) = 0;
};

/// A source of agent replies.
class provider {
public:
  virtual ~provider() = default;
  /// Starts calls (one debate step's calls for this provider, all with the same deadline). Each
  /// ends with exactly one `sink->done`, possibly before `start` returns, unless it is cancelled.
  virtual void start(std::span<provider_call> calls, const std::shared_ptr<call_sink>& sink) = 0;
  /// Stops a call that has not reported its outcome: it reports nothing more. `tag` is the call's
  /// tag as `start` left it. Unknown or finished calls are ignored.
  virtual void cancel(call_id id, uint64_t tag) = 0;
};

/// Makes one worker's instance of a provider; `sched` outlives the provider.
using provider_factory = std::function<std::unique_ptr<provider>(scheduler& sched)>;

/// The providers a node runs, by the name agent specs give (`mock:critical` -> "mock").
using provider_catalog = std::vector<std::pair<std::string, provider_factory>>;

}  // namespace aragora::agent
