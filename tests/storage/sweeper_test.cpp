// The retention sweeper compacts on its schedule: expired records leave the disk without anyone
// calling compact().

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <thread>

#include "tests/support/temp_store.hpp"

#include "runtime/base/timer/timer_service.hpp"
#include "storage/storage_actors.hpp"

namespace aragora::storage {
namespace {

using namespace std::chrono_literals;

TEST(RetentionSweeper, DropsExpiredRecordsOnItsSchedule) {
  test::temp_store s{"sweeper"};
  auto& db = s.db;
  auto& now = s.now;
  write_batch b;
  for (int i = 0; i < 100; ++i)
    b.put(cf::memory_fast, "k" + std::to_string(i), "v", db->expiry_for(cf::memory_fast));
  b.put(cf::memory_fast, "forever", "v", 0);
  ASSERT_FALSE(db->write(b, true));
  {
    // Before the actor system: destroyed after it, so a sweeper still running at the end of the
    // scope (the system waits for it) never schedules on a timer service that is gone.
    timer::timer_service timers;
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    auto sweeper = spawn_sweeper(sys, db, timers, 50ms);
    now->fetch_add(3600);  // an hour later the fast tier's records are due
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
      std::this_thread::sleep_for(20ms);
      gone = db->count_keys(cf::memory_fast) == 1;
    }
    EXPECT_TRUE(gone) << db->count_keys(cf::memory_fast) << " keys left";
    caf::anon_send_exit(sweeper, caf::exit_reason::user_shutdown);
    timers.stop();
  }
  EXPECT_TRUE(db->get(cf::memory_fast, "forever").value());
}

}  // namespace
}  // namespace aragora::storage
