// The PSI controller (spec/lead.md §6): statistics, CVs, potentials, targets, EMA, floor,
// static ablation and the state semantics, on hand-checked inputs.
#include "lead/psi_controller.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace leadrl::lead {
namespace {

// spec/lead.md §15.1 (floor_exceeds_bmax): q1 {1, 1, 0} with R_eff {0.3, 0.5, 0.8};
// q2 all wrong with R_eff {0.5, 0.75, 1.0}.
struct hand_case {
  std::vector<double> corr{1, 1, 0, 0, 0, 0};
  std::vector<double> r_eff{0.3, 0.5, 0.8, 0.5, 0.75, 1.0};
  std::vector<bool> ok{true, true, false, false, false, false};
  group_index groups = index_groups({1, 1, 1, 2, 2, 2});

  /// psi_update of this case.
  psi_weights update(const lead_config& o, const lead_state& s) const {
    return psi_update(corr, r_eff, ok, groups, o, s);
  }
};

// A controller state whose EMA vector is {w_corr, w_eff}.
lead_state state_with(double w_corr, double w_eff, bool initialized = true) {
  lead_state s;
  s.ema_weights = std::array<double, 2>{w_corr, w_eff};
  s.initialized = initialized;
  return s;
}

TEST(PsiController, HandWorkedExampleOfSpecSection15) {
  const hand_case h;
  const lead_state fresh;
  const psi_weights w = h.update({}, fresh);
  ASSERT_EQ(w.groups.size(), 2u);
  EXPECT_DOUBLE_EQ(w.groups[0].corr_mean, 2.0 / 3);
  EXPECT_DOUBLE_EQ(w.groups[0].corr_var_biased, 2.0 / 9);
  EXPECT_EQ(w.groups[0].eff_n_correct, 2u);
  EXPECT_DOUBLE_EQ(w.groups[0].eff_mean, 0.4);
  EXPECT_NEAR(w.groups[0].eff_var_biased, 0.01, 1e-15);
  EXPECT_EQ(w.groups[1].eff_n_correct, 0u);
  EXPECT_DOUBLE_EQ(w.corr.mu, 1.0 / 3);
  EXPECT_DOUBLE_EQ(w.corr.sigma, std::sqrt(1.0 / 9 + 1.0 / 9 + 1e-8));
  EXPECT_NEAR(w.corr.cv, 1.414214, 1e-6);
  EXPECT_NEAR(w.eff.mu, 0.4, 1e-15);  // only q1 contributes
  EXPECT_NEAR(w.eff.sigma, std::sqrt(0.01 + 1e-8), 1e-15);
  EXPECT_NEAR(w.corr.cv_norm, 0.849779, 1e-6);
  EXPECT_NEAR(w.corr.potential, 2.0 / 3, 1e-15);
  EXPECT_NEAR(w.eff.potential, 0.3, 1e-15);
  EXPECT_NEAR(w.target[0], 0.926312, 1e-6);
  EXPECT_NEAR(w.target[1], 0.073688, 1e-6);
  ASSERT_TRUE(w.ema_prev_used.has_value());
  EXPECT_EQ(*w.ema_prev_used, (std::array<double, 2>{0.5, 0.5}));
  EXPECT_NEAR(w.w_corr, 0.521316, 1e-6);
  EXPECT_DOUBLE_EQ(w.w_eff, 1.0 - w.w_corr);
}

TEST(PsiController, EveryPromptWeighsTheSameWhateverItsSize) {
  // Prompt A: 2 rollouts {1, 1}; prompt B: 6 rollouts {0,0,0,0,0,1}.
  const std::vector<double> corr{1, 1, 0, 0, 0, 0, 0, 1};
  const std::vector<double> r_eff(8, 0.5);
  const std::vector<bool> ok{true, true, false, false, false, false, false, true};
  const group_index g = index_groups({1, 1, 2, 2, 2, 2, 2, 2});
  const psi_weights w = psi_update(corr, r_eff, ok, g, {}, lead_state{});
  const double mb = 1.0 / 6, vb = mb * (1 - mb);
  const double mu = (1.0 + mb) / 2;
  EXPECT_DOUBLE_EQ(w.corr.mu, mu);
  const double between = ((1 - mu) * (1 - mu) + (mb - mu) * (mb - mu)) / 2;
  EXPECT_NEAR(w.corr.sigma, std::sqrt((0 + vb) / 2 + between + 1e-8), 1e-15);
  // Not the pooled (per-rollout) statistics: mean over 8 rollouts is 3/8.
  EXPECT_GT(std::fabs(w.corr.mu - 3.0 / 8), 0.1);
}

TEST(PsiController, NothingCorrectGivesExactlyZeroEfficiencyStatistics) {
  const std::vector<double> corr{0, 0, 0.2, 0};
  const std::vector<double> r_eff{0.1, 0.9, -0.4, 0.3};
  const std::vector<bool> ok{false, false, false, false};
  lead_config o;
  o.alpha = 2.0;
  const psi_weights w = psi_update(corr, r_eff, ok, index_groups({1, 1, 2, 2}), o, lead_state{});
  EXPECT_EQ(w.eff.mu, 0.0);
  EXPECT_EQ(w.eff.sigma, 0.0);  // no sigma_floor in this branch
  EXPECT_EQ(w.eff.cv, 0.0);
  EXPECT_EQ(w.eff.cv_norm, 0.0);
  EXPECT_DOUBLE_EQ(w.eff.potential, 0.25);  // 0.5^alpha
  EXPECT_EQ(w.eff.D, 0.0);
  EXPECT_NEAR(w.target[0], 1.0, 1e-6);
}

TEST(PsiController, AlphaZeroMakesEveryPotentialOne) {
  // All correct, mu_corr = 1: (1 - 1)^0 must be 1.
  const std::vector<double> corr{1, 1, 1, 1};
  const std::vector<double> r_eff{1, 0.5, 1, 0.2};
  const std::vector<bool> ok(4, true);
  lead_config o;
  o.alpha = 0.0;
  const psi_weights w = psi_update(corr, r_eff, ok, index_groups({1, 1, 2, 2}), o, lead_state{});
  EXPECT_EQ(w.corr.potential, 1.0);
  EXPECT_EQ(w.eff.potential, 1.0);
  o.alpha = 1.0;
  const psi_weights w1 = psi_update(corr, r_eff, ok, index_groups({1, 1, 2, 2}), o, lead_state{});
  EXPECT_EQ(w1.corr.potential, 0.0);
}

TEST(PsiController, SaturatedBatchHasZeroTargetsAndTheEmaDecays) {
  const std::vector<double> corr{1, 1, 1, 1};
  const std::vector<double> r_eff{1, 1, 1, 1};
  const std::vector<bool> ok(4, true);
  lead_state s = state_with(0.7, 0.3);
  const psi_weights w = psi_update(corr, r_eff, ok, index_groups({1, 1, 2, 2}), {}, s);
  EXPECT_EQ(w.target[0], 0.0);
  EXPECT_EQ(w.target[1], 0.0);
  EXPECT_DOUBLE_EQ(w.ema_next[0], 0.95 * 0.7);
  EXPECT_DOUBLE_EQ(w.ema_next[1], 0.95 * 0.3);  // the stored vector drifts below a sum of 1
}

TEST(PsiController, FloorAppliesToCorrectnessWeightOnlyAndEmaStaysUnfloored) {
  const hand_case h;
  lead_state s = state_with(0.1, 0.9);
  const psi_weights w = h.update({}, s);
  const double e0 = 0.95 * 0.1 + (1 - 0.95) * w.target[0];
  EXPECT_DOUBLE_EQ(w.ema_next[0], e0);
  ASSERT_LT(e0, 0.3);
  EXPECT_EQ(w.w_corr, 0.3);
  EXPECT_DOUBLE_EQ(w.w_eff, 0.7);  // 1 - w_corr, not the EMA's second component
  lead_state after = s;
  after.step_count = 9;
  commit_psi_weights(w, after);
  EXPECT_DOUBLE_EQ((*after.ema_weights)[0], e0);
  EXPECT_TRUE(after.initialized);
  EXPECT_EQ(after.step_count, 9);  // untouched by the controller
}

TEST(PsiController, UninitializedFlagIgnoresAStoredVector) {
  const hand_case h;
  lead_state s = state_with(0.9, 0.1, /*initialized=*/false);
  const psi_weights w = h.update({}, s);
  EXPECT_EQ(*w.ema_prev_used, (std::array<double, 2>{0.5, 0.5}));
  s.initialized = true;
  const psi_weights w2 = h.update({}, s);
  EXPECT_EQ(*w2.ema_prev_used, (std::array<double, 2>{0.9, 0.1}));
}

TEST(PsiController, BetaOneKeepsTheVectorAndBetaZeroJumpsToTheTarget) {
  const hand_case h;
  lead_state s = state_with(0.6, 0.4);
  lead_config o;
  o.beta = 1.0;
  EXPECT_EQ(h.update(o, s).ema_next, (std::array<double, 2>{0.6, 0.4}));
  o.beta = 0.0;
  const psi_weights w = h.update(o, s);
  EXPECT_EQ(w.ema_next, w.target);
}

TEST(PsiController, StaticAblationBypassesTheFloorButStillReportsTargets) {
  const hand_case h;
  lead_state s = state_with(0.6, 0.4);
  lead_config o;
  o.static_lambda_corr = 0.2;
  const psi_weights w = h.update(o, s);
  EXPECT_EQ(w.w_corr, 0.2);
  EXPECT_DOUBLE_EQ(w.w_eff, 0.8);
  EXPECT_FALSE(w.ema_prev_used.has_value());
  EXPECT_EQ(w.ema_next, (std::array<double, 2>{0.2, 0.8}));
  EXPECT_NEAR(w.target[0], 0.926312, 1e-6);
}

}  // namespace
}  // namespace leadrl::lead
