// File: base/rank_share.hpp
//
// The contiguous share of n items (a batch's sequences, an evaluation's problems) that
// one of `size` data-parallel ranks takes: shares differ by at most one item, lower ranks
// take the larger ones, and rank order is item order, so concatenating the ranks' results
// in rank order gives the one-rank order.
//
//   const auto mine = leadrl::rank_share(batch.size(), rank, size);   // {first, count}
//   for (std::size_t i = mine.first; i < mine.first + mine.count; ++i) train(batch[i]);
#pragma once

#include <cstddef>

namespace leadrl {

/// Items [first, first + count).
struct index_range {
  std::size_t first = 0;
  std::size_t count = 0;
};

/// Rank `rank`'s share of `n` items over `size` ranks (0 <= rank < size); empty when
/// n < size for the ranks past n.
constexpr index_range rank_share(std::size_t n, int rank, int size) {
  const auto r = static_cast<std::size_t>(rank);
  const auto s = static_cast<std::size_t>(size);
  const std::size_t base = n / s;
  const std::size_t extra = n % s;  // the first `extra` ranks take one more
  return {r * base + (r < extra ? r : extra), base + (r < extra ? 1 : 0)};
}

}  // namespace leadrl
