#pragma once
// The live side of the event stream: which connections follow which running debate, and the
// frames of each debate that are not durable yet. A subscriber replays what is durable from the
// store and gets the rest from here, so replay + live has no gap and no repeat (seq by seq).
// Thread-safe: the node's event sink publishes from a CAF thread, connections subscribe from the
// edge's I/O threads; nothing blocks but a short lock, and frames are pushed outside it.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace aragora::edge {

class stream_hub {
public:
  /// One debate event, encoded once per form and shared by every subscriber: `json` for the
  /// clients' text frames (views::event_frame), `binary` for the binary subprotocol (a protobuf
  /// v1::Envelope, views::binary_event_frame; empty for what that form does not carry).
  struct encoded_frame {
    std::string json;
    std::string binary;
    bool last = false;  // debate_end: the debate's last frame
  };
  using frame = std::shared_ptr<const encoded_frame>;
  [[nodiscard]] static frame make_frame(std::string json, std::string binary = {},
                                        bool last = false) {
    return std::make_shared<const encoded_frame>(
        encoded_frame{std::move(json), std::move(binary), last});
  }

  /// A connection's end of a subscription. push() is called from any thread with the hub's lock
  /// released; it must not block (a connection queues the frame on its own strand).
  class subscriber {
  public:
    virtual ~subscriber() = default;
    virtual void push(const std::string& debate_id, uint32_t seq, const frame& f, bool last) = 0;
    /// A live-only frame (a token delta) after event `seq`: sent if the subscriber is caught up
    /// to it and has room, dropped otherwise; never held or replayed.
    virtual void push_live(const std::string& debate_id, uint32_t seq, const frame& f) {
      (void)debate_id, (void)seq, (void)f;
    }
  };

  /// `max_held`: frames held per debate while they wait to be durable; past it the oldest go
  /// (a subscriber then finds them in the store once they are durable).
  explicit stream_hub(size_t max_held = 4096) : max_held_(max_held) {}

  /// A debate is live here from now on: its frames are held until durable, and subscribers are
  /// kept. Called before the debate starts, so not one frame is missed.
  void open(const std::string& id);
  /// A frame of a live debate, in seq order; repeats (a restarted debate actor publishes its
  /// last step again) are dropped. `last`: debate_end, sent once the result is stored.
  void publish(const std::string& id, uint32_t seq, frame f, bool last = false);
  /// A live-only frame of a live debate (a token delta; `seq` is the last event's) to the
  /// current subscribers: not held, not counted as published.
  void publish_live(const std::string& id, uint32_t seq, frame f);
  /// A live-only notice (the cluster moved the debate: node_down) to the current subscribers,
  /// after the last event published.
  void publish_notice(const std::string& id, frame f);
  /// The debate's events up to `seq` are in the store: the hub lets go of them.
  void durable(const std::string& id, uint32_t seq);
  /// The debate has ended and its debate_end was published: it leaves the hub.
  void close(const std::string& id);

  struct snapshot {
    bool live = false;  // false: the store holds all there is (or the debate is unknown)
    uint32_t published = 0;  // the last seq published (live only)
    std::vector<std::pair<uint32_t, frame>> held;  // seq > after, in order (live only)
  };
  /// Registers `s` for the debate's frames from now on when it is live, and returns the frames
  /// held after `after`. The caller replays the store's events after `after` and before the
  /// first held one, then the held ones; pushes arrive after, from `published + 1`.
  [[nodiscard]] snapshot subscribe(const std::string& id, const std::shared_ptr<subscriber>& s,
                                   uint32_t after);
  void unsubscribe(const std::string& id, const subscriber* s);

  [[nodiscard]] bool live(const std::string& id) const;
  /// Someone follows the debate now (a frame only for live subscribers need not be made).
  [[nodiscard]] bool watched(const std::string& id) const;
  [[nodiscard]] size_t live_debates() const;
  [[nodiscard]] size_t subscriptions() const;

private:
  struct debate {
    std::vector<std::weak_ptr<subscriber>> subscribers;
    std::vector<std::pair<uint32_t, frame>> held;  // seq order; trimmed from the front
    uint32_t published = 0;
  };
  mutable std::mutex mtx_;
  std::unordered_map<std::string, debate> debates_;
  size_t subscriptions_ = 0;
  size_t max_held_;
};

}  // namespace aragora::edge
