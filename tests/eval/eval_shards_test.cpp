// Tests of eval/eval_shards: shares encoded and joined in rank order give the samples in
// that order and the summed totals; bytes that are not a share are refused, naming the rank.
#include "eval/eval_shards.hpp"

#include <gtest/gtest.h>

namespace leadrl::eval {
namespace {

eval_samples samples_of(std::vector<lead::prompt_id> ids, std::vector<double> correct,
                        std::vector<double> lengths, std::size_t truncated) {
  return {"m", "d", std::move(ids), std::move(correct), std::move(lengths), truncated};
}

TEST(EvalShards, JoinsInRankOrderAndSumsTotals) {
  eval_throughput t0{4, 40, 1, 16, 1, 2.5};
  eval_throughput t1{2, 30, 2, 16, 0, 3.5};
  const auto a = samples_of({0, 0, 1, 1}, {1, 0, 1, 1}, {10, 12.5, 8, 9}, 1);
  const auto b = samples_of({2, 2}, {0, 1}, {16, 14}, 2);
  auto j = join_shares("base", "arith", {encode_share(a, t0), encode_share(b, t1)});
  ASSERT_TRUE(j) << j.error().message();
  EXPECT_EQ(j->samples.model, "base");
  EXPECT_EQ(j->samples.dataset, "arith");
  EXPECT_EQ(j->samples.problem_ids, (std::vector<lead::prompt_id>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(j->samples.correctness, (std::vector<double>{1, 0, 1, 1, 0, 1}));
  EXPECT_EQ(j->samples.lengths, (std::vector<double>{10, 12.5, 8, 9, 16, 14}));
  EXPECT_EQ(j->samples.truncated, 3U);
  EXPECT_EQ(j->throughput.samples, 6);
  EXPECT_EQ(j->throughput.generated_tokens, 70);
  EXPECT_EQ(j->throughput.truncated, 3);
  EXPECT_EQ(j->throughput.max_new_tokens, 16);
  EXPECT_EQ(j->throughput.truncated_prompts, 1);
  EXPECT_EQ(j->throughput.seconds, 3.5);
  // An empty share (more ranks than problems) adds nothing.
  auto k = join_shares("base", "arith", {encode_share(a, t0), encode_share({}, {})});
  ASSERT_FALSE(k);  // its token limit (0) differs from rank 0's
  eval_throughput empty;
  empty.max_new_tokens = 16;
  k = join_shares("base", "arith", {encode_share(a, t0), encode_share({}, empty)});
  ASSERT_TRUE(k) << k.error().message();
  EXPECT_EQ(k->samples.problem_ids.size(), 4U);
}

TEST(EvalShards, RefusesBytesThatAreNotAShareNamingTheRank) {
  const auto a = samples_of({0}, {1}, {3}, 0);
  const std::string good = encode_share(a, {1, 3, 0, 8, 0, 0.1});
  for (const std::string& bad : {good.substr(0, good.size() - 1), good + "x", std::string("?")}) {
    auto j = join_shares("m", "d", {good, bad});
    ASSERT_FALSE(j);
    EXPECT_NE(j.error().message().find("rank 1's share of m on d"), std::string::npos)
        << j.error().message();
  }
}

}  // namespace
}  // namespace leadrl::eval
