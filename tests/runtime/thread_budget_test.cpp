#include "runtime/thread_budget.hpp"

#include <gtest/gtest.h>

namespace leadrl::runtime {
namespace {

TEST(ThreadBudget, SharesTheCpusAmongRanksAndOverlappingThreads) {
  // One unbound rank on 2 CPUs: both for a synchronous run, one each for the generator
  // and the learner of an overlapped one.
  EXPECT_EQ(default_intra_op_threads(2, 2, 1, 1), 2);
  EXPECT_EQ(default_intra_op_threads(2, 2, 1, 2), 1);
  // Two unbound ranks on 2 CPUs: one thread each, never fewer than one.
  EXPECT_EQ(default_intra_op_threads(2, 2, 2, 1), 1);
  EXPECT_EQ(default_intra_op_threads(2, 2, 2, 2), 1);
  // 4 unbound ranks on 64 CPUs, overlapped: 8 threads for each of a rank's two threads.
  EXPECT_EQ(default_intra_op_threads(64, 64, 4, 2), 8);
  // A rank bound to 16 of 64 CPUs has them to itself, whatever the node's rank count.
  EXPECT_EQ(default_intra_op_threads(16, 64, 4, 2), 8);
  EXPECT_EQ(default_intra_op_threads(1, 64, 4, 2), 1);
  // Nonsense counts are treated as 1.
  EXPECT_EQ(default_intra_op_threads(0, 0, 0, 0), 1);
}

}  // namespace
}  // namespace leadrl::runtime
