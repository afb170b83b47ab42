// Tests of model/learner_step on a tiny random Qwen2-shaped decoder: the gradient of the
// total loss w.r.t. decoder parameters against central finite differences, micro-batch
// accumulation through the model, and an optimizer step that moves log-probs the way the
// advantages say.
#include "model/learner_step.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace leadrl::model {
namespace {

io::hf_config tiny_config() {
  return io::qwen2_config(/*hidden=*/16, /*intermediate=*/24, /*layers=*/2, /*heads=*/4,
                          /*kv_heads=*/2, /*vocab=*/11, /*max_positions=*/64);
}

// Two prompts of different lengths (left padding), responses right-padded.
learner_micro_batch make_batch(decoder_impl& model, double temperature) {
  torch::manual_seed(21);
  const int64_t b = 3, t = 9;
  learner_micro_batch mb;
  mb.input_ids = torch::randint(0, 11, {b, t}, torch::kLong);
  mb.attention_mask = torch::ones({b, t}, torch::kLong);
  mb.attention_mask[1][0] = 0;  // left pad
  mb.attention_mask[2][8] = 0;  // right pad
  auto rm = torch::zeros({b, t - 1}, torch::kFloat64);
  rm.narrow(1, 3, 5).fill_(1);  // tokens 4..8 are the response
  rm[2][7] = 0;                 // the right pad carries no loss
  mb.response_mask = rm;
  auto lp = compute_log_probs(model, mb.input_ids, mb.attention_mask, temperature);
  EXPECT_TRUE(lp) << lp.error().message();
  mb.old_log_probs = *lp + 0.3 * torch::randn({b, t - 1}, torch::kFloat64);
  mb.ref_log_probs = *lp + 0.2 * torch::randn({b, t - 1}, torch::kFloat64);
  mb.advantages = torch::tensor({1.0, -0.5, 0.8}, torch::kFloat64);
  return mb;
}

double loss_value(decoder_impl& model, const learner_micro_batch& mb, const policy_loss_config& cfg,
                  double temperature) {
  torch::NoGradGuard no_grad;
  const auto logits =
      model.forward(mb.input_ids, positions_from_mask(mb.attention_mask), mb.attention_mask);
  auto tok = response_log_probs(logits, mb.input_ids, temperature);
  policy_loss_inputs in{tok->log_probs,   mb.old_log_probs, mb.advantages,
                        mb.response_mask, tok->entropy,     mb.ref_log_probs};
  return policy_loss(in, cfg).value().loss.item<double>();
}

// The decoder computes RMSNorm and attention softmax in float32 even for float64 weights
// (model/decoder.hpp), so the loss carries ~1e-7 relative round-off. With h = 1e-3 that is
// ~1e-4 in a difference quotient, and the O(h²) truncation is ~1e-6: the check uses an
// absolute tolerance of 1e-3 plus 1% relative, on entries whose gradient is well above it,
// which still exposes any missing term, sign or factor.
TEST(LearnerStep, DecoderGradientMatchesFiniteDifferences) {
  torch::manual_seed(7);
  decoder_options opts;
  opts.dtype = torch::kFloat64;
  decoder model(tiny_config(), opts);
  const double temperature = 0.9;
  auto mb = make_batch(*model, temperature);
  policy_loss_config cfg;
  cfg.clip_high = 0.28;
  cfg.entropy_coeff = 0.01;
  cfg.kl_coef = 0.1;
  cfg.kl_type = kl_estimator::low_var_kl;
  cfg.aggregation = loss_aggregation::seq_mean_token_mean;

  auto metrics =
      accumulate_gradients(*model, mb, cfg, count_denominator(mb.response_mask), temperature);
  ASSERT_TRUE(metrics) << metrics.error().message();
  EXPECT_NEAR(metrics->total_loss, loss_value(*model, mb, cfg, temperature), 1e-6);

  const std::vector<std::string> names = {"model.embed_tokens.weight",
                                          "model.layers.0.self_attn.q_proj.bias",
                                          "model.layers.0.self_attn.k_proj.weight",
                                          "model.layers.1.mlp.down_proj.weight",
                                          "model.layers.1.input_layernorm.weight",
                                          "model.norm.weight",
                                          "lm_head.weight"};
  auto params = model->named_parameters();
  const double h = 1e-3;
  int checked = 0;
  for (const auto& name : names) {
    ASSERT_TRUE(params.contains(name)) << name;
    torch::Tensor p = params[name];
    const torch::Tensor grad = p.grad().clone();
    // The two entries with the largest gradient and the first entry.
    auto flat_grad = grad.reshape({-1});
    auto top = std::get<1>(flat_grad.abs().topk(2));
    std::vector<int64_t> entries = {top[0].item<int64_t>(), top[1].item<int64_t>(), 0};
    for (int64_t e : entries) {
      torch::Tensor flat = p.detach().view({-1});
      const double x = flat[e].item<double>();
      {
        torch::NoGradGuard no_grad;
        flat[e] = x + h;
      }
      const double up = loss_value(*model, mb, cfg, temperature);
      {
        torch::NoGradGuard no_grad;
        flat[e] = x - h;
      }
      const double down = loss_value(*model, mb, cfg, temperature);
      {
        torch::NoGradGuard no_grad;
        flat[e] = x;
      }
      const double fd = (up - down) / (2 * h);
      const double ad = flat_grad[e].item<double>();
      EXPECT_NEAR(ad, fd, 1e-3 + 1e-2 * std::abs(fd)) << name << "[" << e << "]";
      if (std::abs(fd) > 5e-3) ++checked;
    }
  }
  // Most checks compare gradients well above the tolerance, so they can fail.
  EXPECT_GE(checked, 6);
}

TEST(LearnerStep, MicroBatchesThroughTheModelAddUpToTheWholeBatch) {
  torch::manual_seed(8);
  decoder_options opts;
  opts.dtype = torch::kFloat64;
  decoder model(tiny_config(), opts);
  auto mb = make_batch(*model, 1.0);
  policy_loss_config cfg;
  cfg.kl_coef = 0.05;
  cfg.kl_type = kl_estimator::mse;
  cfg.aggregation = loss_aggregation::token_mean;
  const auto den = count_denominator(mb.response_mask);

  auto whole = accumulate_gradients(*model, mb, cfg, den, 1.0);
  ASSERT_TRUE(whole);
  std::vector<torch::Tensor> whole_grads;
  for (auto& p : model->parameters()) {
    whole_grads.push_back(p.grad().clone());
    p.mutable_grad() = torch::Tensor();
  }
  policy_loss_metrics sum;
  for (int64_t row = 0; row < 3; ++row) {
    learner_micro_batch part;
    part.input_ids = mb.input_ids.narrow(0, row, 1);
    part.attention_mask = mb.attention_mask.narrow(0, row, 1);
    part.response_mask = mb.response_mask.narrow(0, row, 1);
    part.old_log_probs = mb.old_log_probs.narrow(0, row, 1);
    part.ref_log_probs = mb.ref_log_probs.narrow(0, row, 1);
    part.advantages = mb.advantages.narrow(0, row, 1);
    auto m = accumulate_gradients(*model, part, cfg, den, 1.0);
    ASSERT_TRUE(m) << m.error().message();
    sum += *m;
  }
  EXPECT_NEAR(sum.total_loss, whole->total_loss, 1e-6);
  EXPECT_NEAR(sum.pg_clipfrac, whole->pg_clipfrac, 1e-12);
  size_t i = 0;
  for (auto& p : model->parameters()) {
    EXPECT_TRUE(torch::allclose(p.grad(), whole_grads[i], 1e-5, 1e-7));
    ++i;
  }
}

TEST(LearnerStep, AnOptimizerStepFollowsTheAdvantages) {
  torch::manual_seed(9);
  decoder model(tiny_config());
  auto mb = make_batch(*model, 1.0);
  mb.old_log_probs = *compute_log_probs(*model, mb.input_ids, mb.attention_mask, 1.0);
  mb.ref_log_probs = torch::Tensor();
  mb.advantages = torch::tensor({1.0, -1.0, 1.0});
  auto opt = policy_optimizer::create(model->named_parameters(), {});
  ASSERT_TRUE(opt);
  lr_schedule sched;
  sched.base_lr = 1e-3;
  policy_loss_config cfg;
  auto m = accumulate_gradients(*model, mb, cfg, count_denominator(mb.response_mask), 1.0);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->pg_clipfrac, 0.0);  // on-policy: ratio 1
  EXPECT_NEAR(m->ppo_kl, 0.0, 1e-6);
  auto report = apply_optimizer_step(**opt, sched, 1.0);
  EXPECT_TRUE(report.applied);
  EXPECT_GT(report.grad_norm, 0);
  EXPECT_EQ(report.lr, 1e-3);
  EXPECT_EQ((*opt)->steps_taken(), 1);
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());

  // The surrogate (on the same rollouts, old log-probs as behaviour) went down: responses
  // with A > 0 became more likely in total relative to those with A < 0.
  const auto after = *compute_log_probs(*model, mb.input_ids, mb.attention_mask, 1.0);
  policy_loss_inputs in;
  in.log_probs = after;
  in.old_log_probs = mb.old_log_probs;
  in.advantages = mb.advantages;
  in.response_mask = mb.response_mask;
  auto post = policy_loss(in, cfg);
  ASSERT_TRUE(post);
  EXPECT_LT(post->metrics.pg_loss, m->pg_loss - 1e-4);
  EXPECT_GT(post->metrics.ppo_kl * post->metrics.ppo_kl, 0);  // the policy moved
}

// The projection at the needed entries only gives the full forward's log-probs and
// entropies there, zeros elsewhere, and the same gradient of a masked sum.
TEST(LearnerStep, NeededEntriesMatchTheFullProjection) {
  decoder_options opts;
  opts.dtype = torch::kFloat64;
  decoder model(tiny_config(), opts);
  auto mb = make_batch(*model, 0.7);
  const auto logits =
      model->forward(mb.input_ids, positions_from_mask(mb.attention_mask), mb.attention_mask);
  auto full = response_log_probs(logits, mb.input_ids, 0.7, /*with_entropy=*/true);
  ASSERT_TRUE(full);
  auto part = needed_log_probs(*model, mb.input_ids, mb.attention_mask, mb.response_mask, 0.7,
                               /*with_entropy=*/true, /*entropy_grad=*/true);
  ASSERT_TRUE(part) << part.error().message();
  const auto on = mb.response_mask > 0;
  EXPECT_LT((part->log_probs - full->log_probs).masked_select(on).abs().max().item<double>(), 1e-12);
  EXPECT_LT((part->entropy - full->entropy).masked_select(on).abs().max().item<double>(), 1e-12);
  EXPECT_EQ(part->log_probs.masked_select(~on).abs().max().item<double>(), 0.0);
  EXPECT_EQ(part->entropy.masked_select(~on).abs().max().item<double>(), 0.0);
  EXPECT_GT(full->log_probs.masked_select(~on).abs().min().item<double>(), 0.0);

  auto grads = [&](const torch::Tensor& loss) {
    model->zero_grad();
    loss.backward();
    std::vector<torch::Tensor> g;
    for (auto& p : model->parameters()) g.push_back(p.grad().clone());
    return g;
  };
  const auto g_part = grads((part->log_probs + 0.1 * part->entropy).sum());
  const auto logits2 =
      model->forward(mb.input_ids, positions_from_mask(mb.attention_mask), mb.attention_mask);
  auto full2 = response_log_probs(logits2, mb.input_ids, 0.7, true);
  const auto g_full =
      grads(((full2->log_probs + 0.1 * full2->entropy) * mb.response_mask).sum());
  ASSERT_EQ(g_part.size(), g_full.size());
  for (std::size_t i = 0; i < g_part.size(); ++i) {
    EXPECT_LT((g_part[i] - g_full[i]).abs().max().item<double>(), 1e-10) << "parameter " << i;
  }
  auto bad = needed_log_probs(*model, mb.input_ids, mb.attention_mask,
                              torch::ones({3, 4}), 0.7, false);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("needed: expected shape [3, 8]"), std::string::npos);
}

// Without gradient the projection goes 512 rows at a time: same values as one pass.
TEST(LearnerStep, ChunkedLogProbsWithoutGradientMatchTheFullForward) {
  decoder_options opts;
  opts.dtype = torch::kFloat64;
  decoder model(tiny_config(), opts);
  torch::manual_seed(4);
  const auto ids = torch::randint(0, 11, {12, 60}, torch::kLong);  // 708 > 512 rows
  const auto mask = torch::ones({12, 60}, torch::kLong);
  auto chunked = compute_log_probs(*model, ids, mask, 0.9, torch::ones({12, 59}));
  ASSERT_TRUE(chunked) << chunked.error().message();
  torch::NoGradGuard no_grad;
  const auto logits = model->forward(ids, positions_from_mask(mask), mask);
  auto full = response_log_probs(logits, ids, 0.9, false);
  ASSERT_TRUE(full);
  EXPECT_LT((*chunked - full->log_probs).abs().max().item<double>(), 1e-12);
  auto none = compute_log_probs(*model, ids, mask, 0.9, torch::zeros({12, 59}));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->abs().sum().item<double>(), 0.0);
}

TEST(LearnerStep, RejectsBadInputAndSkipsNonFiniteSteps) {
  decoder model(tiny_config());
  auto r = compute_log_probs(*model, torch::zeros({2, 1}, torch::kLong), {}, 1.0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("input_ids"), std::string::npos);
  EXPECT_FALSE(
      compute_log_probs(*model, torch::zeros({2, 4}, torch::kLong), torch::ones({2, 3}), 1.0));
  EXPECT_FALSE(compute_log_probs(*model, torch::zeros({2, 4}, torch::kLong), {}, -1.0));

  auto opt = policy_optimizer::create(model->named_parameters(), {});
  auto before = model->parameters()[0].detach().clone();
  for (auto& p : model->parameters()) {
    p.mutable_grad() = torch::full_like(p, std::numeric_limits<float>::quiet_NaN());
  }
  auto report = apply_optimizer_step(**opt, lr_schedule{}, 1.0);
  EXPECT_FALSE(report.applied);
  EXPECT_TRUE(std::isnan(report.grad_norm));
  EXPECT_EQ((*opt)->steps_taken(), 0);
  EXPECT_TRUE(torch::equal(model->parameters()[0], before));
}

}  // namespace
}  // namespace leadrl::model
