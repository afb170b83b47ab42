#include "runtime/gradient_sync.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "tests/mpi/mpi_test_env.hpp"

namespace leadrl::runtime {
namespace {

using test::g_world;

std::vector<torch::Tensor> make_params(int seed) {
  torch::manual_seed(seed);
  return {torch::randn({3, 5}).requires_grad_(), torch::randn({7}).requires_grad_(),
          torch::randn({2, 2}).to(torch::kBFloat16).requires_grad_(),
          torch::randn({4}).requires_grad_()};
}

TEST(GradientSync, GradientsBecomeTheRankMeanAcrossSeveralBuckets) {
  auto coll = make_mpi_collectives(*g_world, std::chrono::seconds(30));
  auto params = make_params(1);
  const double r = g_world->rank();
  for (std::size_t i = 0; i + 1 < params.size(); ++i) {
    params[i].mutable_grad() = torch::full_like(params[i], r + static_cast<double>(i));
  }
  // params[3] has no gradient: it must count as zeros on this rank.
  // A 32-byte bucket forces one collective per parameter plus splits.
  ASSERT_TRUE(all_reduce_gradients(*coll, params, g_world->size(), 32).ok());
  const double n = g_world->size();
  const double mean_rank = (n - 1) / 2;
  for (std::size_t i = 0; i + 1 < params.size(); ++i) {
    EXPECT_TRUE(torch::allclose(
        params[i].grad().to(torch::kDouble),
        torch::full(params[i].sizes(), mean_rank + static_cast<double>(i), torch::kDouble)))
        << "param " << i;
  }
  EXPECT_TRUE(params[3].grad().defined());
  EXPECT_EQ(params[3].grad().abs().sum().item<double>(), 0.0);
}

TEST(GradientSync, EveryRankLearnsWhichRanksHadNonFiniteGradients) {
  auto coll = make_mpi_collectives(*g_world, std::chrono::seconds(30));
  const int rank = g_world->rank(), n = g_world->size();
  auto run = [&](int nan_rank, bool loss_flag_rank_last, std::size_t bucket_bytes) {
    auto params = make_params(3);
    for (std::size_t i = 0; i + 1 < params.size(); ++i) {
      params[i].mutable_grad() = torch::ones_like(params[i]);
    }
    if (rank == nan_rank) params[1].mutable_grad()[2] = std::nan("");
    const bool loss_flag = loss_flag_rank_last && rank == n - 1;
    auto got = all_reduce_gradients_checked(*coll, params, rank, n, loss_flag, bucket_bytes);
    EXPECT_TRUE(got.ok());
    return got.ok() ? *got : std::vector<int>{-1};
  };
  for (std::size_t bucket : {std::size_t{32}, default_bucket_bytes}) {
    EXPECT_EQ(run(-1, false, bucket), std::vector<int>{}) << bucket;
    EXPECT_EQ(run(n - 1, false, bucket), std::vector<int>{n - 1}) << bucket;
    std::vector<int> both = {0};
    if (n > 1) both.push_back(n - 1);
    EXPECT_EQ(run(0, true, bucket), both) << bucket;  // NaN on rank 0, NaN loss on the last
  }
  // Finite gradients still become the rank mean (the flags do not leak into them).
  auto params = make_params(4);
  for (auto& p : params) p.mutable_grad() = torch::full_like(p, static_cast<double>(rank));
  ASSERT_TRUE(all_reduce_gradients_checked(*coll, params, rank, n, false, 32).ok());
  EXPECT_TRUE(torch::allclose(params[0].grad(), torch::full_like(params[0], (n - 1) / 2.0)));
  EXPECT_FALSE(all_reduce_gradients_checked(*coll, params, n, n, false).ok());
}

// Collectives that only count their calls.
class counting_collectives final : public collectives {
 public:
  int calls = 0;
  std::string backend() const override { return "mpi"; }
  status all_reduce_sum(void*, std::size_t, element_type) override { return ++calls, status{}; }
  status broadcast(void*, std::size_t, element_type, int) override { return ++calls, status{}; }
  status barrier() override { return ++calls, status{}; }
};

// Collectives that record the element count and type of each all-reduce and leave the
// data as it is (the sum over a world of one, reported as a larger world).
class recording_collectives final : public collectives {
 public:
  std::vector<std::pair<std::size_t, element_type>> reduces;
  std::string backend() const override { return "mpi"; }
  status all_reduce_sum(void*, std::size_t count, element_type type) override {
    reduces.emplace_back(count, type);
    return status{};
  }
  status broadcast(void*, std::size_t, element_type, int) override { return status{}; }
  status barrier() override { return status{}; }
};

TEST(GradientSync, Bfloat16BucketsMoveHalfTheBytesAndRoundOnce) {
  recording_collectives coll;
  auto params = make_params(5);                                   // 15 + 7 + 4 (bf16) + 4 elements
  params[0].mutable_grad() = torch::full({3, 5}, 1.0 + 0x1p-10);  // not a bf16 value
  params[1].mutable_grad() = torch::full({7}, 3.0);
  params[2].mutable_grad() = torch::full({2, 2}, 5.0).to(torch::kBFloat16);
  // params[3] has no gradient. Buckets of 16 bytes: 8 bf16 elements, or 4 f32 ones.
  ASSERT_TRUE(all_reduce_gradients(coll, params, 2, 16, element_type::bf16).ok());
  std::size_t moved = 0;
  for (const auto& [count, type] : coll.reduces) {
    EXPECT_EQ(type, element_type::bf16);
    moved += count;
  }
  EXPECT_EQ(moved, 30u);
  // The mean over "2 ranks" of data summed over one: halved, after rounding to bf16 on
  // the wire (1 + 2^-10 -> 1), divided in float32, stored in each gradient's dtype.
  EXPECT_TRUE(torch::equal(params[0].grad(), torch::full({3, 5}, 0.5)));
  EXPECT_TRUE(torch::equal(params[1].grad(), torch::full({7}, 1.5)));
  EXPECT_EQ(params[2].grad().scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(params[2].grad(), torch::full({2, 2}, 2.5).to(torch::kBFloat16)));
  EXPECT_TRUE(torch::equal(params[3].grad(), torch::zeros({4})));
  // The f32 default moves the same elements in f32, with more (smaller) buckets.
  recording_collectives f32;
  ASSERT_TRUE(all_reduce_gradients(f32, params, 2, 16).ok());
  EXPECT_GT(f32.reduces.size(), coll.reduces.size());
  for (const auto& r : f32.reduces) EXPECT_EQ(r.second, element_type::f32);
  // Other element types are not gradient buckets.
  EXPECT_FALSE(all_reduce_gradients(coll, params, 2, 16, element_type::f64).ok());
  EXPECT_FALSE(all_reduce_gradients_checked(coll, params, 0, 2, false, 16, element_type::i64).ok());
}

TEST(GradientSync, Bfloat16BucketsGiveTheRankMeanAndTheFlags) {
  auto coll = make_mpi_collectives(*g_world, std::chrono::seconds(30));
  const int rank = g_world->rank(), n = g_world->size();
  auto params = make_params(6);
  for (std::size_t i = 0; i < params.size(); ++i) {
    params[i].mutable_grad() = torch::full_like(params[i], rank + static_cast<double>(i));
  }
  auto got = all_reduce_gradients_checked(*coll, params, rank, n, false, 32, element_type::bf16);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(*got, std::vector<int>{});
  for (std::size_t i = 0; i < params.size(); ++i) {  // (n - 1) / 2 + i: exact in bf16
    EXPECT_TRUE(torch::equal(
        params[i].grad().to(torch::kDouble),
        torch::full(params[i].sizes(), (n - 1) / 2.0 + static_cast<double>(i), torch::kDouble)))
        << "param " << i;
  }
  for (auto& p : params) p.mutable_grad() = torch::ones_like(p);
  if (rank == n - 1) params[1].mutable_grad()[0] = std::nan("");
  got = all_reduce_gradients_checked(*coll, params, rank, n, false, 32, element_type::bf16);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::vector<int>{n - 1});
}

TEST(GradientSync, AWorldOfOneMovesNothing) {
  counting_collectives coll;
  auto params = make_params(2);
  params[0].mutable_grad() = torch::randn({3, 5});
  params[2].mutable_grad() = torch::randn({2, 2}).to(torch::kBFloat16);
  const auto g0 = params[0].grad().clone();
  const auto g2 = params[2].grad().clone();
  ASSERT_TRUE(all_reduce_gradients(coll, params, 1).ok());
  EXPECT_EQ(coll.calls, 0);
  EXPECT_TRUE(torch::equal(params[0].grad(), g0));
  EXPECT_TRUE(torch::equal(params[2].grad(), g2));
  ASSERT_TRUE(params[1].grad().defined());  // missing: zeros, as after a reduction
  EXPECT_EQ(params[1].grad().abs().sum().item<double>(), 0.0);
  ASSERT_TRUE(all_reduce_gradients(coll, params, 2).ok());
  EXPECT_GT(coll.calls, 0);  // a larger world reduces
  // The checked form at world size 1: no collective either, the local check decides.
  coll.calls = 0;
  params[0].mutable_grad()[1][1] = std::numeric_limits<float>::infinity();
  auto flagged = all_reduce_gradients_checked(coll, params, 0, 1, false);
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(*flagged, std::vector<int>{0});
  params[0].mutable_grad()[1][1] = 0.0;
  EXPECT_EQ(*all_reduce_gradients_checked(coll, params, 0, 1, false), std::vector<int>{});
  EXPECT_EQ(*all_reduce_gradients_checked(coll, params, 0, 1, true), std::vector<int>{0});
  EXPECT_EQ(coll.calls, 0);
}

TEST(GradientSync, BroadcastMakesReplicasBitIdenticalAndTheChecksumSaysSo) {
  auto coll = make_mpi_collectives(*g_world, std::chrono::seconds(30));
  auto params = make_params(100 + g_world->rank());  // every rank starts different
  const auto before = parameter_checksum(params);
  auto all_before = g_world->all_gather(std::to_string(before));
  ASSERT_TRUE(all_before.ok());
  if (g_world->size() > 1) {
    EXPECT_NE((*all_before)[0], (*all_before)[1]);
  }
  ASSERT_TRUE(broadcast_parameters(*coll, params, 0).ok());
  auto all_after = g_world->all_gather(std::to_string(parameter_checksum(params)));
  ASSERT_TRUE(all_after.ok());
  for (const auto& c : *all_after) EXPECT_EQ(c, (*all_after)[0]);
  auto reference = make_params(100);  // rank 0's values
  for (std::size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(torch::equal(params[i], reference[i]));
}

}  // namespace
}  // namespace leadrl::runtime
