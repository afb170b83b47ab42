#include "lead/group_normalization.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace leadrl::lead {
namespace {

TEST(IndexGroups, KeepsFirstAppearanceOrderForInterleavedRows) {
  const group_index g = index_groups({9, 4, 9, 7, 4});
  ASSERT_EQ(g.num_groups(), 3u);
  EXPECT_EQ(g.prompts, (std::vector<prompt_id>{9, 4, 7}));
  EXPECT_EQ(std::vector<std::size_t>(g.begin(0), g.end(0)), (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(std::vector<std::size_t>(g.begin(1), g.end(1)), (std::vector<std::size_t>{1, 4}));
  EXPECT_EQ(g.group_of, (std::vector<std::size_t>{0, 1, 0, 2, 1}));
}

TEST(GroupNormalize, UnbiasedStdAndSingletonKeepsValue) {
  const group_index g = index_groups({1, 1, 1, 2});
  std::vector<group_stats> stats;
  const auto a = group_normalize({1, 0, 1, 0.7}, g, {}, &stats);
  const double sd = std::sqrt(1.0 / 3.0);  // values 1,0,1: mean 2/3, unbiased var 1/3
  EXPECT_NEAR(a[0], (1 - 2.0 / 3) / (sd + 1e-6), 1e-12);
  EXPECT_NEAR(a[1], (0 - 2.0 / 3) / (sd + 1e-6), 1e-12);
  EXPECT_NEAR(a[3], 0.7 / (1 + 1e-6), 1e-12);
  EXPECT_EQ(stats[1].size, 1u);
  EXPECT_EQ(stats[1].mean, 0.0);
  EXPECT_EQ(stats[1].std, 1.0);
}

TEST(GroupNormalize, NoStdVariantSubtractsMeanOnly) {
  const group_index g = index_groups({1, 1, 2});
  const auto a = group_normalize({3, 1, 5}, g, {1e-6, false});
  EXPECT_DOUBLE_EQ(a[0], 1.0);
  EXPECT_DOUBLE_EQ(a[1], -1.0);
  EXPECT_DOUBLE_EQ(a[2], 5.0);
}

TEST(Rloo, LeaveOneOutBaselineAndSingletonIsAnError) {
  const auto a = rloo_advantages({1, 0, 0.5}, index_groups({3, 3, 3}));
  ASSERT_TRUE(a.ok());
  EXPECT_DOUBLE_EQ((*a)[0], 1 - 0.25);
  EXPECT_DOUBLE_EQ((*a)[1], 0 - 0.75);
  const auto bad = rloo_advantages({1, 0}, index_groups({3, 4}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("prompt 3"), std::string::npos);
}

TEST(Whiten, TokenWeightedUnbiasedGivesZeroMeanUnitVarianceOverTokens) {
  const std::vector<double> v{0.5, -1.0, 2.0};
  const std::vector<double> w{3, 1, 2};
  whitening_stats s;
  const auto out = whiten(v, w, {}, &s);
  ASSERT_TRUE(out.ok());
  double mean = 0, var = 0;
  for (std::size_t i = 0; i < v.size(); ++i) mean += w[i] * (*out)[i];
  mean /= 6;
  for (std::size_t i = 0; i < v.size(); ++i) var += w[i] * ((*out)[i] - mean) * ((*out)[i] - mean);
  var /= 5;
  EXPECT_NEAR(mean, 0.0, 1e-12);
  EXPECT_NEAR(var, 1.0, 1e-6);
  EXPECT_DOUBLE_EQ(s.token_count, 6.0);
}

TEST(Whiten, RejectsBadInputWithMessages) {
  EXPECT_FALSE(whiten({}, {}, {}).ok());
  EXPECT_FALSE(whiten({1.0}, {1.0, 2.0}, {}).ok());
  EXPECT_FALSE(whiten({1.0}, {1.0}, {}).ok());  // N == 1: unbiased variance undefined
  EXPECT_FALSE(whiten({1.0, NAN}, {1.0, 2.0}, {}).ok());
  const auto r = whiten({1.0, 2.0}, {1.0, -2.0}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("weights[1]"), std::string::npos);
}

TEST(Validate, NamesTheOffendingField) {
  rollout_batch b{{1, 1}, {3, 0.5}, {1, 0}, {}, {}};
  auto s = validate(b);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("lengths[1]"), std::string::npos);
  b.lengths = {3, 4};
  EXPECT_TRUE(validate(b).ok());
  b.correctness = {1};
  EXPECT_FALSE(validate(b).ok());
  EXPECT_FALSE(validate(rollout_batch{}).ok());
}

}  // namespace
}  // namespace leadrl::lead
