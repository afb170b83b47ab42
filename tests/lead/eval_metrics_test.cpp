// Evaluation metrics: pass@1 / pass@k, mean lengths, AES (the vectors' aes_metric case is
// checked in baseline_vectors_test.cpp; here the definitions and the error paths).
#include "lead/eval_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace leadrl::lead {
namespace {

TEST(PassAtK, PassAt1IsMeanOverProblemsOfFractionCorrect) {
  // Problem 7: 3 of 4 correct; problem 2: 0 of 2; problem 5: 1 of 1. Rows interleaved.
  const std::vector<prompt_id> ids{7, 2, 7, 5, 7, 2, 7};
  const std::vector<double> c{1, 0, 1, 1, 0, 0, 1};
  const auto p = pass_at_1(ids, c);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_DOUBLE_EQ(*p, (0.75 + 0.0 + 1.0) / 3.0);  // not the per-sample mean 4/7
}

TEST(PassAtK, UnbiasedEstimatorMatchesCombinatorics) {
  // n = 5, c = 2, k = 2: 1 - C(3,2)/C(5,2) = 1 - 3/10.
  EXPECT_NEAR(pass_at_k(5, 2, 2).value(), 0.7, 1e-15);
  EXPECT_NEAR(pass_at_k(5, 2, 1).value(), 0.4, 1e-15);
  EXPECT_EQ(pass_at_k(5, 4, 2).value(), 1.0);  // every pair holds a correct sample
  EXPECT_EQ(pass_at_k(5, 0, 5).value(), 0.0);
  // Large n stays finite (product form, no factorials).
  EXPECT_NEAR(pass_at_k(1000, 1, 10).value(), 0.01, 1e-12);
  const auto grouped = pass_at_k({1, 1, 1, 2, 2, 2}, {1, 0, 0, 1, 1, 0}, 2);
  ASSERT_TRUE(grouped.ok());
  EXPECT_NEAR(*grouped, ((1 - 1.0 / 3) + 1.0) / 2, 1e-15);
}

TEST(PassAtK, BadInputsAreErrors) {
  EXPECT_FALSE(pass_at_k(0, 0, 1).ok());
  EXPECT_FALSE(pass_at_k(3, 4, 1).ok());
  EXPECT_FALSE(pass_at_k(3, 1, 0).ok());
  EXPECT_FALSE(pass_at_k(3, 1, 4).ok());
  EXPECT_FALSE(pass_at_1({}, {}).ok());
  const auto mismatch = pass_at_1({1, 2}, {1});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message().find("correctness"), std::string::npos);
  EXPECT_FALSE(pass_at_1({1}, {std::nan("")}).ok());
  // k larger than a problem's sample count names the problem.
  const auto k_big = pass_at_k({1, 1, 9}, {1, 0, 1}, 2);
  ASSERT_FALSE(k_big.ok());
  EXPECT_NE(k_big.error().message().find("problem 9"), std::string::npos);
}

TEST(Lengths, MeanAndMeanOfCorrect) {
  EXPECT_DOUBLE_EQ(mean_length({100, 200, 600}).value(), 300.0);
  EXPECT_DOUBLE_EQ(mean_correct_length({100, 200, 600}, {0, 1, 1}).value(), 400.0);
  EXPECT_FALSE(mean_length({}).ok());
  EXPECT_FALSE(mean_length({100, -1}).ok());
  EXPECT_FALSE(mean_correct_length({100, 200}, {0, 0}).ok());
  EXPECT_FALSE(mean_correct_length({100, 200}, {1}).ok());

  const auto s = summarize_dataset({1, 1, 2, 2}, {1, 0, 0, 0}, {10, 30, 50, 70});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->problems, 2u);
  EXPECT_EQ(s->samples, 4u);
  EXPECT_DOUBLE_EQ(s->pass_at_1, 0.25);
  EXPECT_DOUBLE_EQ(s->mean_length, 40.0);
  EXPECT_EQ(s->mean_correct_length, 10.0);
  const auto none = summarize_dataset({1}, {0}, {5});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->mean_correct_length.has_value());
  EXPECT_FALSE(summarize_dataset({1, 2}, {0, 1}, {5}).ok());
}

TEST(Aes, VariantsDifferOnlyWhenAccuracyDrops) {
  // dLen = 0.5, dAcc = +0.1: both variants 0.5 + 3 * 0.1.
  EXPECT_NEAR(aes(0.55, 500, 0.5, 1000, {}, aes_variant::formula).value(), 0.8, 1e-12);
  EXPECT_NEAR(aes(0.55, 500, 0.5, 1000, {}, aes_variant::plus_abs).value(), 0.8, 1e-12);
  // dAcc = -0.1: formula penalises with g = 5, plus_abs rewards with b = 3.
  EXPECT_NEAR(aes(0.45, 500, 0.5, 1000, {}, aes_variant::formula).value(), 0.0, 1e-12);
  EXPECT_NEAR(aes(0.45, 500, 0.5, 1000, {}, aes_variant::plus_abs).value(), 0.8, 1e-12);
  // Other constants are honoured.
  EXPECT_NEAR(aes(0.45, 500, 0.5, 1000, {2, 1, 1}, aes_variant::formula).value(), 0.9, 1e-12);
  // A longer answer makes dLen negative.
  EXPECT_NEAR(aes(0.5, 1500, 0.5, 1000).value(), -0.5, 1e-12);
}

TEST(Aes, BothAccuraciesZeroIsNoAccuracyChange) {
  // Nothing solved by either model: dAcc = 0, AES = dLen = (100 - 80) / 100.
  EXPECT_NEAR(aes(0.0, 80, 0.0, 100).value(), 0.2, 1e-12);
  EXPECT_NEAR(aes(0.0, 120, 0.0, 100, {}, aes_variant::plus_abs).value(), -0.2, 1e-12);
  EXPECT_DOUBLE_EQ(relative_accuracy_change(0.0, 0.0).value(), 0.0);
  EXPECT_DOUBLE_EQ(relative_accuracy_change(0.3, 0.2).value(), 0.5);
  const auto gain_from_zero = relative_accuracy_change(0.1, 0.0);
  ASSERT_FALSE(gain_from_zero.ok());
  EXPECT_NE(gain_from_zero.error().message().find("base accuracy"), std::string::npos);
  const auto r = aes_over_datasets({{"aime25", 0.0, 50, 0.0, 100}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_DOUBLE_EQ(r->datasets[0].delta_accuracy, 0.0);
  EXPECT_NEAR(r->mean_formula, 0.5, 1e-12);
}

TEST(Aes, PerDatasetAndAveraged) {
  const auto r =
      aes_over_datasets({{"math500", 0.55, 500, 0.5, 1000}, {"aime24", 0.45, 500, 0.5, 1000}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->datasets.size(), 2u);
  EXPECT_EQ(r->datasets[1].dataset, "aime24");
  EXPECT_NEAR(r->datasets[1].delta_accuracy, -0.1, 1e-12);
  EXPECT_NEAR(r->datasets[1].delta_length, 0.5, 1e-12);
  EXPECT_NEAR(r->mean_formula, (0.8 + 0.0) / 2, 1e-12);
  EXPECT_NEAR(r->mean_plus_abs, 0.8, 1e-12);
}

TEST(Aes, BadInputsAreErrors) {
  const auto zero_len = aes(0.5, 100, 0.5, 0);
  ASSERT_FALSE(zero_len.ok());
  EXPECT_NE(zero_len.error().message().find("base length"), std::string::npos);
  const auto zero_acc = aes(0.5, 100, 0.0, 100);
  ASSERT_FALSE(zero_acc.ok());
  EXPECT_NE(zero_acc.error().message().find("base accuracy"), std::string::npos);
  EXPECT_FALSE(aes(-0.1, 100, 0.5, 100).ok());
  EXPECT_FALSE(aes(0.5, std::nan(""), 0.5, 100).ok());
  EXPECT_FALSE(aes_over_datasets({}).ok());
  const auto bad = aes_over_datasets({{"ok", 0.5, 100, 0.5, 200}, {"gsm8k", 0.5, 100, 0.5, 0}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("gsm8k"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::lead
