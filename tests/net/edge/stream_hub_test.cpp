// The stream hub (label unit): held frames, durability, repeats, subscribers that go away.

#include <gtest/gtest.h>

#include <thread>

#include "net/edge/stream_hub.hpp"

namespace aragora::edge {
namespace {

struct recorder final : stream_hub::subscriber {
  std::vector<std::pair<uint32_t, std::string>> got;
  bool ended = false;
  void push(const std::string&, uint32_t seq, const stream_hub::frame& f, bool last) override {
    got.emplace_back(seq, f->json);
    ended = ended || last;
  }
};

stream_hub::frame f(const std::string& s) { return stream_hub::make_frame(s); }

TEST(StreamHub, ASubscriberGetsTheHeldFramesThenLiveOnesAndNothingTwice) {
  stream_hub hub;
  hub.open("d");
  hub.publish("d", 1, f("a"));
  hub.publish("d", 2, f("b"));
  hub.publish("d", 3, f("c"));
  hub.durable("d", 1);  // seq 1 is in the store now
  auto r = std::make_shared<recorder>();
  auto snap = hub.subscribe("d", r, 0);
  EXPECT_TRUE(snap.live);
  EXPECT_EQ(snap.published, 3u);
  ASSERT_EQ(snap.held.size(), 2u);  // 2 and 3: 1 comes from the store
  EXPECT_EQ(snap.held[0].first, 2u);
  hub.publish("d", 3, f("c again"));  // a restarted debate publishing its last step again
  hub.publish("d", 4, f("d"));
  hub.publish("d", 5, f("end"), true);
  ASSERT_EQ(r->got.size(), 2u);
  EXPECT_EQ(r->got[0].first, 4u);
  EXPECT_TRUE(r->ended);
  hub.close("d");
  EXPECT_FALSE(hub.live("d"));
  EXPECT_EQ(hub.subscriptions(), 0u);
}

TEST(StreamHub, AnUnknownOrClosedDebateIsNotLiveAndKeepsNoSubscriber) {
  stream_hub hub;
  auto r = std::make_shared<recorder>();
  auto snap = hub.subscribe("nope", r, 0);
  EXPECT_FALSE(snap.live);
  EXPECT_EQ(hub.subscriptions(), 0u);
  hub.publish("nope", 1, f("x"));  // not opened: dropped
  EXPECT_TRUE(r->got.empty());
}

TEST(StreamHub, HeldFramesAreBoundedAndSubscribersThatWentAwayAreDropped) {
  stream_hub hub{4};
  hub.open("d");
  for (uint32_t i = 1; i <= 10; ++i) hub.publish("d", i, f(std::to_string(i)));
  auto r = std::make_shared<recorder>();
  auto snap = hub.subscribe("d", r, 0);
  ASSERT_EQ(snap.held.size(), 4u);
  EXPECT_EQ(snap.held.front().first, 7u);
  {
    auto gone = std::make_shared<recorder>();
    (void)hub.subscribe("d", gone, 10);
    EXPECT_EQ(hub.subscriptions(), 2u);
  }
  hub.publish("d", 11, f("11"));
  EXPECT_EQ(hub.subscriptions(), 1u);
  hub.unsubscribe("d", r.get());
  EXPECT_EQ(hub.subscriptions(), 0u);
}

TEST(StreamHub, PublishersAndSubscribersOnManyThreadsLoseNothing) {
  stream_hub hub;
  hub.open("d");
  std::vector<std::shared_ptr<recorder>> subs;
  for (int i = 0; i < 8; ++i) subs.push_back(std::make_shared<recorder>());
  std::thread publisher{[&] {
    for (uint32_t i = 1; i <= 2000; ++i) hub.publish("d", i, f("x"));
  }};
  // Each subscriber joins at some point: held frames + pushes must cover 1..2000 exactly.
  std::vector<std::vector<uint32_t>> seen(subs.size());
  std::vector<std::thread> joiners;
  std::mutex mtx;
  for (size_t k = 0; k < subs.size(); ++k)
    joiners.emplace_back([&, k] {
      std::this_thread::sleep_for(std::chrono::microseconds(50 * k));
      auto snap = hub.subscribe("d", subs[k], 0);
      std::lock_guard<std::mutex> lock{mtx};
      for (const auto& h : snap.held) seen[k].push_back(h.first);
    });
  publisher.join();
  for (auto& t : joiners) t.join();
  for (size_t k = 0; k < subs.size(); ++k) {
    auto all = seen[k];
    for (const auto& g : subs[k]->got) all.push_back(g.first);
    // Pushes may arrive before the snapshot is read by the test: order by seq, then check.
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), 2000u) << k;
    for (uint32_t i = 0; i < 2000; ++i) ASSERT_EQ(all[i], i + 1) << k;
  }
}

}  // namespace
}  // namespace aragora::edge
