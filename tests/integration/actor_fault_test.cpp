// An exception inside a debate actor (out of memory, a bug) fails that debate: its owner hears
// about it instead of waiting forever, and nothing is printed on stdout (which carries the CLI's
// result).

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <new>

#include "actors/agent/agent_actor.hpp"
#include "actors/debate/actor/debate_actor.hpp"
#include "actors/debate/actor/messages.hpp"
#include "runtime/base/timer/timer_service.hpp"
#include "tests/support/drive.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;

// The clock is the debate actor's injection point: a clock that throws on its n-th reading makes
// the actor throw at that point of the debate, as an allocation failure would.
std::atomic<int> clock_reads{0};
std::atomic<int> throw_on_read{0};

debate::time_point failing_clock() {
  if (++clock_reads == throw_on_read.load()) throw std::bad_alloc{};
  return std::chrono::system_clock::now();
}

struct fault_fixture {
  timer::timer_service timers{1ms};
  debate::live_debates running;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<agent::agent_pool> agents = std::make_shared<agent::agent_pool>(sys, timers, 1);
  std::shared_ptr<debate::debate_services> services = std::make_shared<debate::debate_services>();

  fault_fixture() {
    services->timers = &timers;
    services->agents = agents;
    services->registry = &running;
    services->now = &failing_clock;
  }
  ~fault_fixture() {
    running.stop_all(caf::exit_reason::user_shutdown);
    agents->stop();
    timers.stop();
  }
};

class ActorFaults : public ::testing::TestWithParam<int> {};

TEST_P(ActorFaults, ADebateActorThatThrowsReportsItsDebateAsFailed) {
  clock_reads = 0;
  throw_on_read = GetParam();
  auto spec = test::make_spec([](debate::debate_spec& s) { s.rounds = 2; });
  std::optional<debate::debate_finished> done;
  // CAF prints through an actor of its own: stdout is complete once the actor system is gone.
  testing::internal::CaptureStdout();
  {
    fault_fixture f;
    caf::scoped_actor self{f.sys};
    auto d = debate::spawn_debate(f.sys, f.services, spec, self, {self});
    bool waiting = true;
    self->receive_while([&] { return waiting; })(
        [&](debate::event_ptr&) {},
        [&](debate::debate_finished& fin) {
          done = std::move(fin);
          waiting = false;
        },
        caf::after(10s) >> [&] { waiting = false; });
    if (done) self->wait_for(d);  // it stops after reporting
  }
  auto out = testing::internal::GetCapturedStdout();
  ASSERT_TRUE(done) << "the owner was left waiting (clock read " << GetParam() << ")";
  EXPECT_EQ(done->id, spec->id);
  EXPECT_EQ(done->summary.status, debate::debate_status::failed);
  EXPECT_NE(done->error.find("out of memory"), std::string::npos) << done->error;
  EXPECT_FALSE(done->machine);
  EXPECT_TRUE(out.empty()) << "printed on stdout: " << out;
}

// The first read is at the start; later ones fall on recorded outcomes mid-debate.
INSTANTIATE_TEST_SUITE_P(AtDifferentPoints, ActorFaults, ::testing::Values(1, 2, 6, 15));

}  // namespace
}  // namespace aragora
