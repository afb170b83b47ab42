// Tests of model/policy_loss: log-probs and entropy from logits, the clipped surrogate at
// its boundaries, KL estimators, aggregation modes on hand-computed examples, micro-batch
// accumulation, and the gradient w.r.t. logits against central finite differences.
#include "model/policy_loss.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace leadrl::model {
namespace {

torch::Tensor dbl(std::vector<double> v, std::vector<int64_t> shape) {
  return torch::tensor(v, torch::kFloat64).reshape(shape);
}

TEST(PolicyLoss, ParsesNames) {
  EXPECT_EQ(*parse_loss_aggregation("token-mean"), loss_aggregation::token_mean);
  EXPECT_EQ(*parse_loss_aggregation("seq_mean_token_sum"), loss_aggregation::seq_mean_token_sum);
  EXPECT_EQ(*parse_loss_aggregation("seq-mean-token-mean"), loss_aggregation::seq_mean_token_mean);
  EXPECT_FALSE(parse_loss_aggregation("mean"));
  EXPECT_NE(parse_loss_aggregation("mean").error().message().find("'mean'"), std::string::npos);
  EXPECT_EQ(*parse_kl_estimator("k3"), kl_estimator::low_var_kl);
  EXPECT_EQ(*parse_kl_estimator("mse"), kl_estimator::mse);
  EXPECT_EQ(*parse_kl_estimator("kl"), kl_estimator::k1);
  EXPECT_FALSE(parse_kl_estimator("full"));
  for (auto a : {loss_aggregation::token_mean, loss_aggregation::seq_mean_token_sum,
                 loss_aggregation::seq_mean_token_mean}) {
    EXPECT_EQ(*parse_loss_aggregation(to_string(a)), a);
  }
}

TEST(PolicyLoss, LogProbsAreShiftedLogSoftmax) {
  torch::manual_seed(1);
  const auto logits = torch::randn({2, 5, 7}, torch::kFloat64);
  const auto ids = torch::randint(0, 7, {2, 5}, torch::kLong);
  const double temperature = 0.7;
  auto r = response_log_probs(logits, ids, temperature);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->log_probs.sizes(), (std::vector<int64_t>{2, 4}));
  const auto lsm = torch::log_softmax(logits / temperature, -1);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t t = 0; t < 4; ++t) {
      const double expected = lsm[b][t][ids[b][t + 1].item<int64_t>()].item<double>();
      EXPECT_NEAR(r->log_probs[b][t].item<double>(), expected, 1e-12);
      // Entropy = −Σ p log p of the same distribution.
      const auto p = lsm[b][t].exp();
      EXPECT_NEAR(r->entropy[b][t].item<double>(), -(p * lsm[b][t]).sum().item<double>(), 1e-12);
    }
  }
}

TEST(PolicyLoss, EntropyOfUniformAndPeakedDistributions) {
  const auto uniform = torch::zeros({1, 8}, torch::kFloat64);
  EXPECT_NEAR(entropy_from_logits(uniform).item<double>(), std::log(8.0), 1e-12);
  // A very low temperature makes the distribution one-hot: entropy -> 0.
  const auto peaked = dbl({3, 1, 0, 0}, {1, 4});
  EXPECT_LT(entropy_from_logits(peaked, 0.01).item<double>(), 1e-20 + 1e-12);
  EXPECT_GT(entropy_from_logits(peaked, 1.0).item<double>(), 0.1);
}

TEST(PolicyLoss, ResponseLogProbsRejectsBadInput) {
  const auto logits = torch::zeros({2, 4, 5});
  EXPECT_FALSE(response_log_probs(logits, torch::zeros({2, 3}, torch::kLong), 1.0));
  EXPECT_FALSE(response_log_probs(logits, torch::zeros({2, 4}, torch::kFloat32), 1.0));
  EXPECT_FALSE(response_log_probs(torch::zeros({2, 4}), torch::zeros({2, 4}, torch::kLong), 1.0));
  EXPECT_FALSE(
      response_log_probs(torch::zeros({2, 1, 5}), torch::zeros({2, 1}, torch::kLong), 1.0));
  auto bad_t = response_log_probs(logits, torch::zeros({2, 4}, torch::kLong), 0.0);
  ASSERT_FALSE(bad_t);
  EXPECT_NE(bad_t.error().message().find("temperature"), std::string::npos);
}

struct clip_case {
  double advantage;
  double ratio;
  double expected_loss;
  bool clipped;  // the clipped term wins: gradient 0 and counted in pg_clipfrac
};

TEST(PolicyLoss, ClippedSurrogateAtTheBoundaries) {
  policy_loss_config cfg;
  cfg.clip_low = 0.2;
  cfg.clip_high = 0.28;
  const std::vector<clip_case> cases = {
      {+1.0, 1.10, -1.10, false},  // inside the trust region
      {-1.0, 1.10, +1.10, false},
      {+1.0, 1.50, -1.28, true},   // A > 0, ratio above 1 + c_high: capped
      {+1.0, 1.25, -1.25, false},  // between 1 + c_low and 1 + c_high: c_high is used
      {+1.0, 0.50, -0.50, false},  // A > 0, ratio below 1 − c_low: not clipped (pessimistic)
      {-2.0, 0.50, +1.60, true},   // A < 0, ratio below 1 − c_low: floored at 0.8
      {-2.0, 1.50, +3.00, false},  // A < 0, ratio above 1 + c_high: not clipped
      {0.0, 3.00, 0.00, false},    // zero advantage: no loss, never counted as clipped
  };
  for (const clip_case& c : cases) {
    SCOPED_TRACE("A=" + std::to_string(c.advantage) + " ratio=" + std::to_string(c.ratio));
    const auto old_lp = dbl({-1.0}, {1, 1});
    const auto lp = (old_lp + std::log(c.ratio)).clone().requires_grad_(true);
    policy_loss_inputs in;
    in.log_probs = lp;
    in.old_log_probs = old_lp;
    in.advantages = dbl({c.advantage}, {1});
    in.response_mask = torch::ones({1, 1}, torch::kFloat64);
    auto out = policy_loss(in, cfg);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_NEAR(out->metrics.pg_loss, c.expected_loss, 1e-12);
    EXPECT_NEAR(out->loss.item<double>(), c.expected_loss, 1e-12);
    EXPECT_EQ(out->metrics.pg_clipfrac, c.clipped ? 1.0 : 0.0);
    EXPECT_NEAR(out->metrics.ppo_kl, -std::log(c.ratio), 1e-12);
    out->loss.backward();
    // d/dlogp (−A·ratio) = −A·ratio when unclipped.
    const double expected_grad = c.clipped ? 0.0 : -c.advantage * c.ratio;
    EXPECT_NEAR(lp.grad().item<double>(), expected_grad, 1e-12);
  }
}

// mask rows: 3 tokens, 1 token, none (padding row). values chosen to make every mode differ.
struct aggregation_example {
  torch::Tensor values = dbl({1, 2, 3, 100, 10, 100, 100, 100, 100, 100, 100, 100}, {3, 4});
  torch::Tensor mask = dbl({1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0}, {3, 4});
};

TEST(PolicyLoss, AggregationModesOnAHandExample) {
  aggregation_example ex;
  const auto d = count_denominator(ex.mask);
  EXPECT_EQ(d.tokens, 4);
  EXPECT_EQ(d.sequences, 2);  // the padding row does not count
  EXPECT_NEAR(aggregate_loss(ex.values, ex.mask, loss_aggregation::token_mean).item<double>(),
              (1 + 2 + 3 + 10) / 4.0, 1e-12);
  EXPECT_NEAR(
      aggregate_loss(ex.values, ex.mask, loss_aggregation::seq_mean_token_sum).item<double>(),
      (6 + 10) / 2.0, 1e-12);
  EXPECT_NEAR(
      aggregate_loss(ex.values, ex.mask, loss_aggregation::seq_mean_token_mean).item<double>(),
      (2 + 10) / 2.0, 1e-12);
  // An explicit (mini-batch) denominator replaces the own counts.
  EXPECT_NEAR(
      aggregate_loss(ex.values, ex.mask, loss_aggregation::token_mean, {8, 4}).item<double>(),
      16 / 8.0, 1e-12);
  EXPECT_NEAR(aggregate_loss(ex.values, ex.mask, loss_aggregation::seq_mean_token_mean, {8, 4})
                  .item<double>(),
              12 / 4.0, 1e-12);
  // An all-padding micro-batch contributes 0.
  EXPECT_EQ(aggregate_loss(ex.values, torch::zeros_like(ex.mask), loss_aggregation::token_mean)
                .item<double>(),
            0.0);
}

TEST(PolicyLoss, AggregationAppliesToThePolicyLoss) {
  // Unit ratio: per-token loss is −A, so the hand example uses A = −values.
  aggregation_example ex;
  policy_loss_inputs in;
  in.log_probs = torch::zeros({3, 4}, torch::kFloat64);
  in.old_log_probs = torch::zeros({3, 4}, torch::kFloat64);
  in.advantages = -ex.values;
  in.response_mask = ex.mask.to(torch::kBool);
  const std::vector<std::pair<loss_aggregation, double>> expected = {
      {loss_aggregation::token_mean, 4.0},
      {loss_aggregation::seq_mean_token_sum, 8.0},
      {loss_aggregation::seq_mean_token_mean, 6.0}};
  for (const auto& [mode, value] : expected) {
    policy_loss_config cfg;
    cfg.aggregation = mode;
    auto out = policy_loss(in, cfg);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_NEAR(out->metrics.pg_loss, value, 1e-12) << to_string(mode);
    EXPECT_EQ(out->metrics.tokens, 4);
  }
}

TEST(PolicyLoss, KlEstimators) {
  const auto lp = dbl({-1.0, -2.0, -30.0}, {1, 3});
  const auto ref = dbl({-1.5, -1.0, -1.0}, {1, 3});
  const auto k1 = kl_penalty(lp, ref, kl_estimator::k1);
  const auto k2 = kl_penalty(lp, ref, kl_estimator::mse);
  const auto k3 = kl_penalty(lp, ref, kl_estimator::low_var_kl);
  const auto ab = kl_penalty(lp, ref, kl_estimator::abs);
  const std::vector<double> d = {0.5, -1.0, -29.0};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(k1[0][i].item<double>(), d[i], 1e-12);
    EXPECT_NEAR(ab[0][i].item<double>(), std::abs(d[i]), 1e-12);
    EXPECT_NEAR(k2[0][i].item<double>(), 0.5 * d[i] * d[i], 1e-12);
  }
  // k3 = exp(ref − lp) − (ref − lp) − 1.
  EXPECT_NEAR(k3[0][0].item<double>(), std::exp(-0.5) + 0.5 - 1, 1e-12);
  EXPECT_NEAR(k3[0][1].item<double>(), std::exp(1.0) - 1.0 - 1, 1e-12);
  EXPECT_EQ(k3[0][2].item<double>(), 10.0);  // clamped
}

policy_loss_inputs random_inputs(int64_t b, int64_t t, torch::Tensor log_probs) {
  policy_loss_inputs in;
  in.log_probs = log_probs;
  in.old_log_probs = log_probs.detach() + 0.3 * torch::randn({b, t}, torch::kFloat64);
  in.advantages = torch::randn({b}, torch::kFloat64);
  in.ref_log_probs = log_probs.detach() + 0.2 * torch::randn({b, t}, torch::kFloat64);
  auto mask = torch::ones({b, t}, torch::kFloat64);
  // Ragged responses: row i keeps its first t − i % t tokens; one empty row when b > t.
  for (int64_t i = 0; i < b; ++i) mask[i].narrow(0, t - i % (t + 1), i % (t + 1)).zero_();
  in.response_mask = mask;
  return in;
}

TEST(PolicyLoss, KlSignAndTotal) {
  torch::manual_seed(3);
  const auto lp = -torch::rand({4, 6}, torch::kFloat64) - 0.1;
  auto in = random_inputs(4, 6, lp);
  in.entropy = torch::rand({4, 6}, torch::kFloat64);
  policy_loss_config cfg;
  cfg.entropy_coeff = 0.01;
  cfg.kl_coef = 0.5;
  cfg.kl_type = kl_estimator::mse;
  auto plus = policy_loss(in, cfg);
  cfg.kl_loss_sign = -1;
  auto minus = policy_loss(in, cfg);
  ASSERT_TRUE(plus && minus);
  const auto& m = plus->metrics;
  EXPECT_GT(m.kl_loss, 0);
  EXPECT_NEAR(m.total_loss, m.pg_loss - 0.01 * m.entropy + 0.5 * m.kl_loss, 1e-12);
  EXPECT_NEAR(plus->loss.item<double>(), m.total_loss, 1e-12);
  EXPECT_NEAR(minus->loss.item<double>(), m.pg_loss - 0.01 * m.entropy - 0.5 * m.kl_loss, 1e-12);
  cfg.kl_loss_sign = 0;
  EXPECT_FALSE(policy_loss(in, cfg));
}

TEST(PolicyLoss, MicroBatchesAddUpToTheWholeBatch) {
  for (auto mode : {loss_aggregation::token_mean, loss_aggregation::seq_mean_token_sum,
                    loss_aggregation::seq_mean_token_mean}) {
    SCOPED_TRACE(to_string(mode));
    torch::manual_seed(5);
    const int64_t b = 9, t = 7;
    const auto base = (-torch::rand({b, t}, torch::kFloat64) - 0.05);
    auto whole_lp = base.clone().requires_grad_(true);
    auto in = random_inputs(b, t, whole_lp);
    in.entropy = whole_lp * whole_lp;  // any differentiable per-token function
    policy_loss_config cfg;
    cfg.aggregation = mode;
    cfg.entropy_coeff = 0.1;
    cfg.kl_coef = 0.2;
    auto whole = policy_loss(in, cfg);
    ASSERT_TRUE(whole) << whole.error().message();
    whole->loss.backward();

    // Micro-batches of 4, 3 and 2 rows, each with the whole batch's denominator.
    auto micro_lp = base.clone().requires_grad_(true);
    loss_denominator den;
    const std::vector<std::pair<int64_t, int64_t>> parts = {{0, 4}, {4, 3}, {7, 2}};
    for (auto [start, n] : parts) den += count_denominator(in.response_mask.narrow(0, start, n));
    EXPECT_EQ(den.tokens, count_denominator(in.response_mask).tokens);
    policy_loss_metrics sum;
    double loss_sum = 0;
    for (auto [start, n] : parts) {
      policy_loss_inputs part;
      part.log_probs = micro_lp.narrow(0, start, n);
      part.old_log_probs = in.old_log_probs.narrow(0, start, n);
      part.advantages = in.advantages.narrow(0, start, n);
      part.ref_log_probs = in.ref_log_probs.narrow(0, start, n);
      part.response_mask = in.response_mask.narrow(0, start, n);
      part.entropy = part.log_probs * part.log_probs;
      auto out = policy_loss(part, cfg, den);
      ASSERT_TRUE(out) << out.error().message();
      out->loss.backward();
      loss_sum += out->loss.item<double>();
      sum += out->metrics;
    }
    EXPECT_NEAR(loss_sum, whole->loss.item<double>(), 1e-12);
    EXPECT_NEAR(sum.pg_loss, whole->metrics.pg_loss, 1e-12);
    EXPECT_NEAR(sum.pg_clipfrac, whole->metrics.pg_clipfrac, 1e-12);
    EXPECT_NEAR(sum.ppo_kl, whole->metrics.ppo_kl, 1e-12);
    EXPECT_NEAR(sum.entropy, whole->metrics.entropy, 1e-12);
    EXPECT_NEAR(sum.kl_loss, whole->metrics.kl_loss, 1e-12);
    EXPECT_NEAR(sum.total_loss, whole->metrics.total_loss, 1e-12);
    EXPECT_TRUE(torch::allclose(micro_lp.grad(), whole_lp.grad(), 1e-12, 1e-14));
    EXPECT_GT(whole_lp.grad().abs().sum().item<double>(), 0);
  }
}

TEST(PolicyLoss, RejectsBadInput) {
  const auto lp = torch::zeros({2, 3}, torch::kFloat64);
  policy_loss_inputs in;
  in.log_probs = lp;
  in.old_log_probs = lp;
  in.advantages = torch::zeros({2});
  in.response_mask = torch::ones({2, 3});
  policy_loss_config cfg;
  ASSERT_TRUE(policy_loss(in, cfg));

  auto bad = in;
  bad.old_log_probs = torch::zeros({2, 4});
  auto r = policy_loss(bad, cfg);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("old_log_probs"), std::string::npos);
  bad = in;
  bad.advantages = torch::zeros({3});
  EXPECT_FALSE(policy_loss(bad, cfg));
  bad = in;
  bad.response_mask = torch::ones({3, 2});
  EXPECT_FALSE(policy_loss(bad, cfg));

  auto c = cfg;
  c.entropy_coeff = 0.1;  // no entropy given
  EXPECT_NE(policy_loss(in, c).error().message().find("entropy"), std::string::npos);
  c = cfg;
  c.kl_coef = 0.1;  // no reference given
  EXPECT_NE(policy_loss(in, c).error().message().find("ref_log_probs"), std::string::npos);
  c = cfg;
  c.clip_low = 1.0;
  EXPECT_NE(policy_loss(in, c).error().message().find("clip_low"), std::string::npos);
  c = cfg;
  c.clip_high = std::nan("");
  EXPECT_FALSE(policy_loss(in, c));
  EXPECT_FALSE(policy_loss(in, cfg, loss_denominator{0, 3}));  // tokens to divide, none counted
}

// Central finite differences of the whole chain logits -> log-probs/entropy -> total loss,
// in double. Step 1e-6: truncation O(h²) ~ 1e-12 and round-off ~ 1e-16/1e-6 ~ 1e-10, so
// a tolerance of 1e-7 (absolute + relative) leaves a wide margin but catches any wrong
// term (a sign or factor error is O(1e-2) or larger here).
TEST(PolicyLoss, GradientWrtLogitsMatchesFiniteDifferences) {
  for (auto mode : {loss_aggregation::token_mean, loss_aggregation::seq_mean_token_sum,
                    loss_aggregation::seq_mean_token_mean}) {
    for (auto kl : {kl_estimator::low_var_kl, kl_estimator::mse, kl_estimator::k1}) {
      SCOPED_TRACE(to_string(mode) + " " + to_string(kl));
      torch::manual_seed(11);
      const int64_t b = 3, t = 5, v = 6;
      const double temperature = 0.8;
      const auto logits0 = torch::randn({b, t, v}, torch::kFloat64);
      const auto ids = torch::randint(0, v, {b, t}, torch::kLong);
      policy_loss_config cfg;
      cfg.aggregation = mode;
      cfg.clip_low = 0.2;
      cfg.clip_high = 0.28;
      cfg.entropy_coeff = 0.05;
      cfg.kl_coef = 0.3;
      cfg.kl_type = kl;
      // Fixed old/ref log-probs around the current ones so some tokens are clipped.
      const auto lp0 = response_log_probs(logits0, ids, temperature)->log_probs;
      const auto old_lp = lp0 + 0.4 * torch::randn({b, t - 1}, torch::kFloat64);
      const auto ref_lp = lp0 + 0.3 * torch::randn({b, t - 1}, torch::kFloat64);
      const auto adv = torch::randn({b, t - 1}, torch::kFloat64);
      auto mask = torch::ones({b, t - 1}, torch::kFloat64);
      mask[0][0] = 0;                   // prompt token
      mask[2].narrow(0, 2, 2).zero_();  // right padding

      const auto loss_of = [&](const torch::Tensor& logits) {
        auto tok = response_log_probs(logits, ids, temperature);
        policy_loss_inputs in{tok->log_probs, old_lp, adv, mask, tok->entropy, ref_lp};
        return policy_loss(in, cfg).value();
      };
      auto logits = logits0.clone().requires_grad_(true);
      auto out = loss_of(logits);
      out.loss.backward();
      EXPECT_GT(out.metrics.pg_clipfrac, 0);  // the clipped branch is exercised
      const auto grad = logits.grad();

      const double h = 1e-6;
      torch::NoGradGuard no_grad;
      auto fd = torch::zeros_like(logits0);
      auto flat = logits0.clone();
      auto acc = flat.accessor<double, 3>();
      for (int64_t i = 0; i < b; ++i) {
        for (int64_t j = 0; j < t; ++j) {
          for (int64_t k = 0; k < v; ++k) {
            const double x = acc[i][j][k];
            acc[i][j][k] = x + h;
            const double up = loss_of(flat).loss.item<double>();
            acc[i][j][k] = x - h;
            const double down = loss_of(flat).loss.item<double>();
            acc[i][j][k] = x;
            fd[i][j][k] = (up - down) / (2 * h);
          }
        }
      }
      EXPECT_TRUE(torch::allclose(grad, fd, 1e-7, 1e-7))
          << "max |autograd − fd| = " << (grad - fd).abs().max().item<double>();
      // The last position predicts nothing: its logits get no gradient.
      EXPECT_EQ(grad.select(1, t - 1).abs().max().item<double>(), 0.0);
    }
  }
}

}  // namespace
}  // namespace leadrl::model
