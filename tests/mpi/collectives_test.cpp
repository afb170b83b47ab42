#include "runtime/collectives.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "base/bfloat16.hpp"

#include "tests/mpi/mpi_test_env.hpp"

namespace leadrl::runtime {
namespace {

using test::g_world;

TEST(MpiWorld, AllGatherReturnsEveryRanksStringInRankOrder) {
  const auto got = g_world->all_gather("rank-" + std::string(g_world->rank() + 1, 'x'));
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_EQ(got->size(), static_cast<std::size_t>(g_world->size()));
  for (int r = 0; r < g_world->size(); ++r) {
    EXPECT_EQ((*got)[static_cast<std::size_t>(r)], "rank-" + std::string(r + 1, 'x'));
  }
}

TEST(MpiWorld, AllGatherWaitsForALatePeerWithinItsDeadline) {
  // The last rank arrives 300 ms late; the others wait for it (a deadline that fires is
  // wait_with_deadline's, tested below).
  if (g_world->rank() == g_world->size() - 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  const auto got =
      g_world->all_gather(std::to_string(g_world->rank() * 7), std::chrono::seconds(30));
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_EQ(got->size(), static_cast<std::size_t>(g_world->size()));
  for (int r = 0; r < g_world->size(); ++r) {
    EXPECT_EQ((*got)[static_cast<std::size_t>(r)], std::to_string(r * 7));
  }
}

TEST(MpiCollectives, AllReduceSumsEveryTypeInPlace) {
  auto coll = make_mpi_collectives(*g_world, std::chrono::seconds(30));
  const int n = g_world->size();
  const double r = g_world->rank();
  std::vector<float> f{static_cast<float>(r), 1.5f, -2.0f};
  std::vector<double> d{r * 0.25, 1e-3};
  std::vector<std::int64_t> i{static_cast<std::int64_t>(r) + 1, 1LL << 40};
  ASSERT_TRUE(coll->all_reduce_sum(f.data(), f.size(), element_type::f32).ok());
  ASSERT_TRUE(coll->all_reduce_sum(d.data(), d.size(), element_type::f64).ok());
  ASSERT_TRUE(coll->all_reduce_sum(i.data(), i.size(), element_type::i64).ok());
  const double rank_sum = n * (n - 1) / 2.0;
  EXPECT_FLOAT_EQ(f[0], static_cast<float>(rank_sum));
  EXPECT_FLOAT_EQ(f[1], 1.5f * n);
  EXPECT_DOUBLE_EQ(d[0], 0.25 * rank_sum);
  EXPECT_EQ(i[0], static_cast<std::int64_t>(n) * (n + 1) / 2);
  EXPECT_EQ(i[1], static_cast<std::int64_t>(n) << 40);
}

TEST(MpiCollectives, Bfloat16SumsRoundEachAdditionToNearestEven) {
  auto coll = make_mpi_collectives(*g_world, std::chrono::seconds(30));
  const int n = g_world->size();
  const int r = g_world->rank();
  // Sums exact in bf16 for any order: rank + 1, 0.5, -0.25 * rank.
  std::vector<std::uint16_t> v{float_to_bfloat16(static_cast<float>(r + 1)),
                               float_to_bfloat16(0.5f),
                               float_to_bfloat16(-0.25f * static_cast<float>(r))};
  ASSERT_TRUE(coll->all_reduce_sum(v.data(), v.size(), element_type::bf16).ok());
  EXPECT_EQ(bfloat16_to_float(v[0]), n * (n + 1) / 2.0f);
  EXPECT_EQ(bfloat16_to_float(v[1]), 0.5f * static_cast<float>(n));
  EXPECT_EQ(bfloat16_to_float(v[2]), -0.25f * static_cast<float>(n * (n - 1) / 2));
  if (n == 2) {
    // 256 + 1 = 257 lies halfway between the bf16 neighbours 256 and 258: the sum is
    // rounded, to the even one, not kept in float32 (257) or truncated upwards.
    std::vector<std::uint16_t> tie{float_to_bfloat16(r == 0 ? 256.0f : 1.0f)};
    ASSERT_TRUE(coll->all_reduce_sum(tie.data(), tie.size(), element_type::bf16).ok());
    EXPECT_EQ(bfloat16_to_float(tie[0]), 256.0f);
  }
  // Broadcast moves the bit patterns as they are.
  const int root = n - 1;
  std::vector<std::uint16_t> b(5, r == root ? std::uint16_t{0x3f81} : std::uint16_t{0});
  ASSERT_TRUE(coll->broadcast(b.data(), b.size(), element_type::bf16, root).ok());
  for (auto x : b) ASSERT_EQ(x, 0x3f81);
}

TEST(MpiCollectives, BroadcastCopiesTheRootsBuffer) {
  auto coll = make_mpi_collectives(*g_world, std::chrono::seconds(30));
  const int root = g_world->size() - 1;
  std::vector<double> v(1000, g_world->rank() == root ? 3.25 : -1.0);
  ASSERT_TRUE(coll->broadcast(v.data(), v.size(), element_type::f64, root).ok());
  for (double x : v) ASSERT_EQ(x, 3.25);
}

TEST(MpiCollectives, ALatePeerTurnsIntoADeadlineErrorInsteadOfAHang) {
  // Needs a peer: ctest runs it at -np 2 and 4 and filters it out of -np 1.
  ASSERT_GE(g_world->size(), 2) << "run under mpirun -np 2 or more";
  // A private communicator keeps the abandoned request away from the other tests.
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  if (g_world->rank() == 1) std::this_thread::sleep_for(std::chrono::milliseconds(600));
  MPI_Request req;
  ASSERT_EQ(MPI_Ibarrier(comm, &req), MPI_SUCCESS);
  const auto s = wait_with_deadline(&req, std::chrono::milliseconds(150), "test barrier");
  if (g_world->rank() == 1) {
    EXPECT_TRUE(s.ok());
  } else {
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("test barrier"), std::string::npos);
    EXPECT_NE(s.error().message().find("dead or hung"), std::string::npos);
    EXPECT_EQ(s.error().code(), errc::peer_gone);  // not a bad value: a restart may succeed
  }
  MPI_Wait(&req, MPI_STATUS_IGNORE);  // the late peer arrives; finish cleanly
  MPI_Comm_free(&comm);
}

}  // namespace
}  // namespace leadrl::runtime
