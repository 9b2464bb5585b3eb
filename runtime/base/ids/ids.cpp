#include "runtime/base/ids/ids.hpp"

#include <chrono>
#include <mutex>
#include <random>

namespace aragora::ids {

namespace {

constexpr std::string_view crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr uint64_t seq_bits = 60;
constexpr uint64_t seq_limit = uint64_t{1} << seq_bits;
constexpr uint64_t ms_limit = uint64_t{1} << 48;

// `chars` base32 digits of `v`, most significant first.
void append_base32(std::string& out, uint64_t v, int chars) {
  for (int i = chars - 1; i >= 0; --i) out.push_back(crockford[(v >> (5 * i)) & 31]);
}

}  // namespace

debate_id_generator::debate_id_generator(uint32_t node, uint64_t seed)
    : node_(node & max_node), state_(seed) {}

// splitmix64: small, fast, and every seed gives a full-period stream.
uint64_t debate_id_generator::random() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string debate_id_generator::next(uint64_t unix_ms) {
  unix_ms &= ms_limit - 1;
  if (!started_ || unix_ms > last_ms_) {
    last_ms_ = unix_ms;
    // 59 random bits: at least 2^59 ids fit in the millisecond before it would run out.
    seq_ = random() >> (64 - seq_bits + 1);
    started_ = true;
  } else if (++seq_ == seq_limit) {
    // Out of sequence in this millisecond (or the clock stepped back): borrow the next one.
    ++last_ms_;
    seq_ = random() >> (64 - seq_bits + 1);
  }
  std::string id;
  id.reserve(debate_id_length);
  append_base32(id, last_ms_, 10);
  append_base32(id, node_, 4);
  append_base32(id, seq_, 12);
  return id;
}

uint32_t node_component(std::string_view name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) {
    h ^= c;
    h *= 16777619u;
  }
  return (h ^ (h >> node_bits)) & max_node;
}

bool valid_debate_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string next_debate_id() {
  static std::mutex mutex;
  static debate_id_generator gen = [] {
    std::random_device rd;
    uint64_t seed = (uint64_t{rd()} << 32) ^ rd();
    return debate_id_generator{static_cast<uint32_t>(rd()), seed};
  }();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::lock_guard lock{mutex};
  return gen.next(static_cast<uint64_t>(ms));
}

}  // namespace aragora::ids
