// Tests of base/rank_share: the shares tile [0, n) in rank order and differ by at most one.
#include "base/rank_share.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace leadrl {

TEST(rank_share, tiles_the_items_in_rank_order) {
  for (std::size_t n : {0, 1, 5, 32, 33}) {
    for (int size : {1, 2, 3, 4}) {
      std::size_t next = 0;
      std::size_t smallest = n, largest = 0;
      for (int r = 0; r < size; ++r) {
        const auto s = rank_share(n, r, size);
        EXPECT_EQ(s.first, next) << n << " items, rank " << r << " of " << size;
        next += s.count;
        smallest = std::min(smallest, s.count);
        largest = std::max(largest, s.count);
      }
      EXPECT_EQ(next, n) << n << " items over " << size;
      EXPECT_LE(largest - smallest, 1U) << n << " items over " << size;
    }
  }
}

TEST(rank_share, lower_ranks_take_the_remainder) {
  EXPECT_EQ(rank_share(5, 0, 2).count, 3U);
  EXPECT_EQ(rank_share(5, 1, 2).first, 3U);
  EXPECT_EQ(rank_share(5, 1, 2).count, 2U);
  EXPECT_EQ(rank_share(1, 1, 2).count, 0U);
}

}  // namespace leadrl
