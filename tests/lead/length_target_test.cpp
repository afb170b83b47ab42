// L*_q (spec/lead.md §3) and R_eff (§4) on small hand-checked inputs.
#include "lead/length_target.hpp"
#include "lead/efficiency_reward.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace leadrl::lead {
namespace {

length_target_options opts(length_aggregator a, double floor = 1000, double bmax = 8000) {
  return {a, floor, bmax};
}

TEST(LengthTarget, AggregatorsOverCorrectRolloutsOnly) {
  // One prompt: lengths 3000 (c), 1200 (c), 5000 (wrong), 2000 (c), 7000 (wrong).
  const std::vector<double> len{3000, 1200, 5000, 2000, 7000};
  const std::vector<bool> ok{true, true, false, true, false};
  const group_index g = index_groups({4, 4, 4, 4, 4});
  EXPECT_DOUBLE_EQ(group_length_targets(len, ok, g, opts(length_aggregator::mean_correct))[0].lstar,
                   (3000 + 1200 + 2000) / 3.0);
  EXPECT_DOUBLE_EQ(group_length_targets(len, ok, g, opts(length_aggregator::min_correct))[0].lstar,
                   1200);
  EXPECT_DOUBLE_EQ(
      group_length_targets(len, ok, g, opts(length_aggregator::median_correct))[0].lstar, 2000);
  EXPECT_DOUBLE_EQ(group_length_targets(len, ok, g, opts(length_aggregator::mean_all))[0].lstar,
                   18200 / 5.0);
}

TEST(LengthTarget, MedianOfEvenCountAveragesTheTwoMiddleValues) {
  std::vector<double> v{4000, 1500, 3000, 2500};
  EXPECT_DOUBLE_EQ(aggregate_lengths(length_aggregator::median_correct, v), 2750);
  std::vector<double> one{1234};
  EXPECT_DOUBLE_EQ(aggregate_lengths(length_aggregator::median_correct, one), 1234);
  std::vector<double> two{10, 30};
  EXPECT_DOUBLE_EQ(aggregate_lengths(length_aggregator::median_correct, two), 20);
}

TEST(LengthTarget, UpperCutFirstThenFloor) {
  EXPECT_DOUBLE_EQ(clamp_length_target(500, opts(length_aggregator::mean_correct)), 1000);
  EXPECT_DOUBLE_EQ(clamp_length_target(9000, opts(length_aggregator::mean_correct)), 8000);
  // Floor above bmax: every aggregated value becomes the floor (spec §3).
  EXPECT_DOUBLE_EQ(clamp_length_target(9000, opts(length_aggregator::mean_correct, 1000, 800)),
                   1000);
  EXPECT_DOUBLE_EQ(clamp_length_target(300, opts(length_aggregator::mean_correct, 1000, 800)),
                   1000);
}

TEST(LengthTarget, NoCorrectFallsBackToBmaxWithoutFloor) {
  const std::vector<double> len{300, 400};
  const std::vector<bool> ok{false, false};
  const group_index g = index_groups({1, 1});
  for (auto a : {length_aggregator::mean_correct, length_aggregator::min_correct,
                 length_aggregator::median_correct}) {
    const auto t = group_length_targets(len, ok, g, opts(a, 1000, 800));
    EXPECT_DOUBLE_EQ(t[0].lstar, 800) << to_string(a);  // not raised to the floor 1000
    EXPECT_EQ(t[0].source, lstar_source::no_correct_fallback);
  }
  // mean_all aggregates every rollout and never falls back.
  const auto t = group_length_targets(len, ok, g, opts(length_aggregator::mean_all, 100, 800));
  EXPECT_DOUBLE_EQ(t[0].lstar, 350);
  EXPECT_EQ(t[0].source, lstar_source::aggregated);
}

TEST(LengthTarget, InterleavedGroupsKeepTheirOwnRollouts) {
  const std::vector<double> len{2000, 5000, 4000, 3000};
  const std::vector<bool> ok{true, true, true, false};
  const group_index g = index_groups({1, 2, 1, 2});
  const auto t = group_length_targets(len, ok, g, opts(length_aggregator::mean_correct));
  EXPECT_DOUBLE_EQ(t[0].lstar, 3000);
  EXPECT_DOUBLE_EQ(t[1].lstar, 5000);
}

TEST(LengthTarget, NamesParseAndUnknownNamesListTheValidOnes) {
  for (auto a : {length_aggregator::mean_correct, length_aggregator::min_correct,
                 length_aggregator::median_correct, length_aggregator::mean_all}) {
    auto p = parse_length_aggregator(to_string(a));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, a);
  }
  auto bad = parse_length_aggregator("mean");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("'mean'"), std::string::npos);
  EXPECT_NE(bad.error().message().find("median_correct"), std::string::npos);
  for (auto m :
       {efficiency_mode::max_sym, efficiency_mode::max_asym, efficiency_mode::upper_only}) {
    auto p = parse_efficiency_mode(to_string(m));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, m);
  }
  auto bad_mode = parse_efficiency_mode("MAX_SYM");
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_NE(bad_mode.error().message().find("upper_only"), std::string::npos);
}

TEST(EfficiencyReward, MaxSymIsSymmetricAroundTargetAndClampedAtMinusOne) {
  const efficiency_reward_options o{efficiency_mode::max_sym, 500};
  EXPECT_DOUBLE_EQ(efficiency_reward(2000, 2000, true, o), 1.0);
  EXPECT_DOUBLE_EQ(efficiency_reward(1500, 2000, false, o), 0.75);  // l/L below target
  EXPECT_DOUBLE_EQ(efficiency_reward(2500, 2000, true, o), 0.75);
  EXPECT_DOUBLE_EQ(efficiency_reward(4000, 2000, true, o), 0.0);
  EXPECT_DOUBLE_EQ(efficiency_reward(9000, 2000, true, o), -1.0);
}

TEST(EfficiencyReward, UpperOnlyPenalisesOnlyOvershoot) {
  const efficiency_reward_options o{efficiency_mode::upper_only, 500};
  EXPECT_DOUBLE_EQ(efficiency_reward(1000, 2000, true, o), 0.0);
  EXPECT_DOUBLE_EQ(efficiency_reward(3000, 2000, true, o), -0.5);
  EXPECT_DOUBLE_EQ(efficiency_reward(3000, 2000, false, o), -0.5);
  EXPECT_DOUBLE_EQ(efficiency_reward(7000, 2000, false, o), -1.0);
}

TEST(EfficiencyReward, MaxAsymShortRuleIsStrictAndIncorrectOnlyPenalised) {
  const efficiency_reward_options o{efficiency_mode::max_asym, 500};
  EXPECT_DOUBLE_EQ(efficiency_reward(499, 2000, true, o), 0.0);   // suspiciously short
  EXPECT_DOUBLE_EQ(efficiency_reward(500, 2000, true, o), 0.75);  // not < 500
  EXPECT_DOUBLE_EQ(efficiency_reward(2500, 2000, true, o), 0.0);  // correct: never negative
  EXPECT_DOUBLE_EQ(efficiency_reward(499, 2000, false, o), 0.0);  // incorrect short: min(0, x)
  EXPECT_DOUBLE_EQ(efficiency_reward(3000, 2000, false, o), -0.5);
  EXPECT_DOUBLE_EQ(efficiency_reward(5000, 2000, false, o), -1.0);
}

}  // namespace
}  // namespace leadrl::lead
