// File: base/splitmix64.hpp
//
// splitmix64, the one pseudo-random mixer every layer uses where a result must be the
// same on every platform and library version (std:: distributions differ between
// standard libraries): a stateless hash step and the stream built from it.
//
//   std::uint64_t h = leadrl::splitmix64(seed ^ step);      // hash step
//   leadrl::splitmix64_stream rng(seed);  rng.next();       // 0x..., the stream's next draw
#pragma once

#include <cstdint>

namespace leadrl {

/// One splitmix64 step of `x`: adds the golden-ratio increment and mixes.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// The splitmix64 sequence from `seed`: next() is splitmix64 of the state before the
/// increment, the state advancing by the increment each draw.
class splitmix64_stream {
 public:
  explicit constexpr splitmix64_stream(std::uint64_t seed) : state_(seed) {}
  constexpr std::uint64_t next() {
    const std::uint64_t z = splitmix64(state_);
    state_ += 0x9E3779B97F4A7C15ULL;
    return z;
  }
  constexpr std::uint64_t state() const { return state_; }

 private:
  std::uint64_t state_;
};

}  // namespace leadrl
