// Tests of model/optimizer: the LR schedule as a function of the step, AdamW against a
// hand-written update, decay exemptions, gradient-norm clipping and the named state
// export/import used by snapshots.
#include "model/optimizer.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace leadrl::model {
namespace {

TEST(LrSchedule, LinearWarmupThenConstant) {
  lr_schedule s;
  s.base_lr = 1e-3;
  s.warmup_steps = 4;
  ASSERT_TRUE(validate(s));
  EXPECT_DOUBLE_EQ(learning_rate(s, 0), 0.0);
  EXPECT_DOUBLE_EQ(learning_rate(s, 1), 0.25e-3);
  EXPECT_DOUBLE_EQ(learning_rate(s, 3), 0.75e-3);
  EXPECT_DOUBLE_EQ(learning_rate(s, 4), 1e-3);
  EXPECT_DOUBLE_EQ(learning_rate(s, 1000), 1e-3);
  s.warmup_steps = 0;
  EXPECT_DOUBLE_EQ(learning_rate(s, 0), 1e-3);
}

TEST(LrSchedule, CosineToMinRatio) {
  lr_schedule s;
  s.base_lr = 2.0;
  s.warmup_steps = 2;
  s.kind = lr_schedule_kind::cosine;
  s.total_steps = 12;
  s.min_lr_ratio = 0.1;
  ASSERT_TRUE(validate(s));
  EXPECT_DOUBLE_EQ(learning_rate(s, 1), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(s, 2), 2.0);
  EXPECT_NEAR(learning_rate(s, 7), 2.0 * (0.1 + 0.9 * 0.5), 1e-15);  // half way
  // A fifth of the way (step 4 of 2..12): ½(1 + cos(π/5)).
  const double pi = std::acos(-1.0);
  EXPECT_NEAR(learning_rate(s, 4), 2.0 * (0.1 + 0.9 * 0.5 * (1 + std::cos(pi * 0.2))), 1e-15);
  EXPECT_NEAR(learning_rate(s, 12), 0.2, 1e-15);
  EXPECT_NEAR(learning_rate(s, 500), 0.2, 1e-15);
  // Monotone after the warmup.
  for (int64_t k = 2; k < 12; ++k) EXPECT_GT(learning_rate(s, k), learning_rate(s, k + 1));
}

TEST(LrSchedule, RejectsBadValues) {
  lr_schedule s;
  s.kind = lr_schedule_kind::cosine;
  s.warmup_steps = 5;
  s.total_steps = 5;
  auto st = validate(s);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("total_steps"), std::string::npos);
  s = {};
  s.min_lr_ratio = 1.5;
  EXPECT_FALSE(validate(s));
  s = {};
  s.base_lr = -1;
  EXPECT_FALSE(validate(s));
  s = {};
  s.warmup_steps = -1;
  EXPECT_FALSE(validate(s));
  EXPECT_TRUE(parse_lr_schedule_kind("cosine"));
  EXPECT_FALSE(parse_lr_schedule_kind("linear"));
}

torch::OrderedDict<std::string, torch::Tensor> make_params() {
  torch::OrderedDict<std::string, torch::Tensor> p;
  p.insert(
      "model.layers.0.mlp.up_proj.weight",
      torch::tensor({0.5, -1.0, 2.0, 0.25}, torch::kFloat64).reshape({2, 2}).requires_grad_(true));
  p.insert("model.layers.0.self_attn.q_proj.bias",
           torch::tensor({0.1, -0.2}, torch::kFloat64).requires_grad_(true));
  p.insert("model.norm.weight", torch::tensor({1.0, 1.0}, torch::kFloat64).requires_grad_(true));
  return p;
}

void set_grads(const torch::OrderedDict<std::string, torch::Tensor>& params, double scale) {
  int i = 0;
  for (const auto& item : params) {
    auto g = torch::arange(item.value().numel(), torch::kFloat64).reshape(item.value().sizes());
    item.value().mutable_grad() = scale * (g - 0.7 * (i++));
  }
}

TEST(PolicyOptimizer, AdamWMatchesAHandWrittenUpdate) {
  auto params = make_params();
  optimizer_config cfg;
  cfg.lr = 0.01;
  cfg.beta1 = 0.8;
  cfg.beta2 = 0.95;
  cfg.eps = 1e-6;
  cfg.weight_decay = 0.1;
  auto opt = policy_optimizer::create(params, cfg);
  ASSERT_TRUE(opt) << opt.error().message();

  // Reference: decoupled decay p ← p·(1 − lr·wd), then the bias-corrected Adam step.
  std::vector<torch::Tensor> p_ref, m, v;
  for (const auto& item : params) {
    p_ref.push_back(item.value().detach().clone());
    m.push_back(torch::zeros_like(p_ref.back()));
    v.push_back(torch::zeros_like(p_ref.back()));
  }
  for (int step = 1; step <= 3; ++step) {
    set_grads(params, 1.0 + step);
    size_t i = 0;
    for (const auto& item : params) {
      const auto g = item.value().grad();
      m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * g;
      v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * g * g;
      const double bc1 = 1 - std::pow(cfg.beta1, step);
      const double bc2 = 1 - std::pow(cfg.beta2, step);
      p_ref[i] = p_ref[i] * (1 - cfg.lr * cfg.weight_decay);
      p_ref[i] = p_ref[i] - cfg.lr / bc1 * m[i] / (torch::sqrt(v[i]) / std::sqrt(bc2) + cfg.eps);
      ++i;
    }
    (*opt)->step();
    i = 0;
    for (const auto& item : params) {
      EXPECT_TRUE(torch::allclose(item.value(), p_ref[i], 1e-12, 1e-14))
          << item.key() << " step " << step << "\n"
          << item.value() << "\n"
          << p_ref[i];
      ++i;
    }
  }
  EXPECT_EQ((*opt)->steps_taken(), 3);
}

TEST(PolicyOptimizer, NormsAndBiasesCanBeExemptFromDecay) {
  auto params = make_params();
  optimizer_config cfg;
  cfg.lr = 0.1;
  cfg.weight_decay = 0.5;
  cfg.exclude_norms_and_biases = true;
  auto opt = policy_optimizer::create(params, cfg);
  ASSERT_TRUE(opt);
  EXPECT_TRUE((*opt)->decayed("model.layers.0.mlp.up_proj.weight"));
  EXPECT_FALSE((*opt)->decayed("model.layers.0.self_attn.q_proj.bias"));
  EXPECT_FALSE((*opt)->decayed("model.norm.weight"));
  // With zero gradients Adam moves nothing, so only decay changes the parameters.
  std::vector<torch::Tensor> before;
  for (const auto& item : params) {
    before.push_back(item.value().detach().clone());
    item.value().mutable_grad() = torch::zeros_like(item.value());
  }
  (*opt)->step();
  EXPECT_TRUE(torch::allclose(params[0].value(), before[0] * (1 - 0.1 * 0.5), 1e-15, 0));
  EXPECT_TRUE(torch::equal(params[1].value(), before[1]));
  EXPECT_TRUE(torch::equal(params[2].value(), before[2]));

  cfg.exclude_norms_and_biases = false;
  auto all = policy_optimizer::create(params, cfg);
  EXPECT_TRUE((*all)->decayed("model.norm.weight"));
}

TEST(PolicyOptimizer, SetLrReachesEveryGroup) {
  auto params = make_params();
  optimizer_config cfg;
  cfg.exclude_norms_and_biases = true;  // two groups
  auto opt = policy_optimizer::create(params, cfg);
  (*opt)->set_lr(0.0);
  for (const auto& item : params) item.value().mutable_grad() = torch::ones_like(item.value());
  std::vector<torch::Tensor> before;
  for (const auto& item : params) before.push_back(item.value().detach().clone());
  (*opt)->step();  // lr 0: nothing moves in either group
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_TRUE(torch::equal(params[i].value(), before[i]));
  (*opt)->set_lr(0.5);
  EXPECT_EQ((*opt)->lr(), 0.5);
  (*opt)->step();
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_FALSE(torch::equal(params[i].value(), before[i]));
}

TEST(PolicyOptimizer, CreateRejectsBadConfig) {
  auto params = make_params();
  optimizer_config cfg;
  cfg.beta2 = 1.0;
  auto r = policy_optimizer::create(params, cfg);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("beta2"), std::string::npos);
  cfg = {};
  cfg.eps = 0;
  EXPECT_FALSE(policy_optimizer::create(params, cfg));
  torch::OrderedDict<std::string, torch::Tensor> frozen;
  frozen.insert("w", torch::zeros({2}));
  EXPECT_FALSE(policy_optimizer::create(frozen, {}));
}

TEST(GradClip, ScalesToTheGlobalNormAndReportsThePreClipNorm) {
  auto a = torch::zeros({2}, torch::kFloat64).requires_grad_(true);
  auto b = torch::zeros({1}, torch::kFloat64).requires_grad_(true);
  auto c = torch::zeros({3}, torch::kFloat64).requires_grad_(true);  // no gradient
  a.mutable_grad() = torch::tensor({3.0, 0.0}, torch::kFloat64);
  b.mutable_grad() = torch::tensor({4.0}, torch::kFloat64);
  // Above the limit: scaled by 1 / (5 + 1e-6).
  EXPECT_DOUBLE_EQ(clip_grad_norm({a, b, c}, 1.0), 5.0);
  EXPECT_NEAR(a.grad()[0].item<double>(), 3.0 / (5.0 + 1e-6), 1e-15);
  EXPECT_NEAR(b.grad()[0].item<double>(), 4.0 / (5.0 + 1e-6), 1e-15);
  EXPECT_FALSE(c.grad().defined());
  // Below the limit: untouched.
  const auto before = a.grad().clone();
  EXPECT_NEAR(clip_grad_norm({a, b}, 10.0), 1.0, 1e-6);
  EXPECT_TRUE(torch::equal(a.grad(), before));
  // Non-finite: reported, gradients left as they are.
  b.mutable_grad()[0] = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(std::isinf(clip_grad_norm({a, b}, 1.0)));
  EXPECT_TRUE(torch::equal(a.grad(), before));
}

// Float32 gradients are normed in float32 (no float64 copy) and combined in float64: a
// million entries of 1e-3 and one of 3 give sqrt(1 + 9) to float32's precision.
TEST(GradClip, Float32GradientsKeepTheirNormToFloatPrecision) {
  auto a = torch::zeros({1000000}).requires_grad_(true);
  auto b = torch::zeros({1}).requires_grad_(true);
  a.mutable_grad() = torch::full({1000000}, 1e-3F);
  b.mutable_grad() = torch::tensor({3.0F});
  EXPECT_NEAR(clip_grad_norm({a, b}, 0.0), std::sqrt(10.0), 1e-5);
}

TEST(PolicyOptimizer, StateRoundTripsByName) {
  auto params = make_params();
  optimizer_config cfg;
  cfg.lr = 0.05;
  auto opt = policy_optimizer::create(params, cfg);
  EXPECT_TRUE((*opt)->export_state().empty());
  for (int s = 0; s < 2; ++s) {
    set_grads(params, 1.0 + s);
    (*opt)->step();
  }
  const auto state = (*opt)->export_state();
  ASSERT_EQ(state.size(), 3u);
  const auto& w = state.at("model.layers.0.mlp.up_proj.weight");
  EXPECT_EQ(w.step, 2);
  EXPECT_EQ(w.exp_avg.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_GT(w.exp_avg_sq.abs().sum().item<double>(), 0);

  // A second optimizer over copies of the parameters, restored from the export,
  // continues exactly as the first.
  torch::OrderedDict<std::string, torch::Tensor> copy;
  for (const auto& item : params) {
    copy.insert(item.key(), item.value().detach().clone().requires_grad_(true));
  }
  auto resumed = policy_optimizer::create(copy, cfg);
  ASSERT_TRUE((*resumed)->import_state(state, 2));
  EXPECT_EQ((*resumed)->steps_taken(), 2);
  set_grads(params, 5.0);
  set_grads(copy, 5.0);
  (*opt)->step();
  (*resumed)->step();
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(torch::equal(params[i].value(), copy[i].value()));

  // A fresh optimizer without the state takes a different step.
  torch::OrderedDict<std::string, torch::Tensor> fresh_params;
  for (const auto& item : params) {
    fresh_params.insert(item.key(), item.value().detach().clone().requires_grad_(true));
  }
  auto fresh = policy_optimizer::create(fresh_params, cfg);
  set_grads(fresh_params, 5.0);
  set_grads(params, 5.0);
  (*fresh)->step();
  (*opt)->step();
  EXPECT_FALSE(torch::equal(fresh_params[0].value(), params[0].value()));
}

// One bfloat16 weight of 1.0 with a constant gradient, `steps` AdamW steps at `lr`.
torch::OrderedDict<std::string, torch::Tensor> bf16_weight() {
  torch::OrderedDict<std::string, torch::Tensor> p;
  p.insert("w", torch::ones({1, 1}, torch::kBFloat16).requires_grad_(true));
  return p;
}

TEST(PolicyOptimizer, Bfloat16ParametersGetFloat32MastersThatAccumulateSmallUpdates) {
  // Each AdamW step moves the weight by about lr = 1e-3; bfloat16's spacing just below 1
  // is 2^-8 = 0.0039, so a step rounded into bfloat16 alone would stay at 1.0 for ever.
  auto params = bf16_weight();
  optimizer_config cfg;
  cfg.lr = 1e-3;
  cfg.weight_decay = 0.0;
  auto opt = policy_optimizer::create(params, cfg);
  ASSERT_TRUE(opt.ok()) << opt.error().message();
  const torch::Tensor& master = (*opt)->master_parameters()[0];
  EXPECT_EQ(master.scalar_type(), torch::kFloat);
  EXPECT_FALSE(master.is_same(params[0].value()));
  for (int s = 0; s < 10; ++s) {
    params[0].value().mutable_grad() = torch::ones({1, 1}, torch::kBFloat16);
    (*opt)->step();
  }
  EXPECT_NEAR(master.item<double>(), 0.99, 1e-5);  // ten steps of 1e-3, in float32
  const double w = params[0].value().to(torch::kFloat).item<double>();
  EXPECT_EQ(params[0].value().scalar_type(), torch::kBFloat16);
  EXPECT_NEAR(w, 0.99, 0.002);  // the master rounded: 0.98828 or 0.99219, not 1.0
  EXPECT_EQ(w, master.to(torch::kBFloat16).to(torch::kFloat).item<double>());

  // The same ten steps on the bfloat16 weight itself (what AdamW without masters does).
  auto plain = bf16_weight();
  torch::optim::AdamW adamw({plain[0].value()}, torch::optim::AdamWOptions(1e-3).weight_decay(0));
  for (int s = 0; s < 10; ++s) {
    plain[0].value().mutable_grad() = torch::ones({1, 1}, torch::kBFloat16);
    adamw.step();
  }
  EXPECT_EQ(plain[0].value().to(torch::kFloat).item<double>(), 1.0);

  // The moments are the master's (float32), and a float32 parameter is its own master.
  EXPECT_EQ((*opt)->export_state().at("w").exp_avg.scalar_type(), torch::kFloat);
  auto f32 = make_params();
  auto opt32 = policy_optimizer::create(f32, cfg);
  EXPECT_TRUE((*opt32)->master_parameters()[0].is_same(f32[0].value()));
}

TEST(PolicyOptimizer, MastersOverwrittenFromASnapshotReachTheParameters) {
  auto params = bf16_weight();
  auto opt = policy_optimizer::create(params, {});
  ASSERT_TRUE(opt.ok());
  {
    torch::NoGradGuard no_grad;
    (*opt)->master_parameters()[0].fill_(0.123456789);
  }
  (*opt)->copy_masters_to_parameters();
  EXPECT_EQ(params[0].value().to(torch::kFloat).item<double>(),
            torch::full({1}, 0.123456789, torch::kFloat).to(torch::kBFloat16).to(torch::kFloat)
                .item<double>());
}

TEST(PolicyOptimizer, ImportRejectsUnknownNamesAndShapesAndChangesNothing) {
  auto params = make_params();
  auto opt = policy_optimizer::create(params, {});
  set_grads(params, 1.0);
  (*opt)->step();
  const auto good = (*opt)->export_state();

  auto unknown = good;
  unknown["model.layers.9.mlp.up_proj.weight"] = good.begin()->second;
  auto st = (*opt)->import_state(unknown, 1);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("model.layers.9.mlp.up_proj.weight"), std::string::npos);

  auto wrong_shape = good;
  wrong_shape["model.norm.weight"].exp_avg = torch::zeros({3}, torch::kFloat64);
  st = (*opt)->import_state(wrong_shape, 1);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("exp_avg"), std::string::npos);

  auto missing = good;
  missing["model.norm.weight"].exp_avg_sq = torch::Tensor();
  EXPECT_FALSE((*opt)->import_state(missing, 1));
  EXPECT_FALSE((*opt)->import_state(good, -1));

  // Nothing changed: the exported state is still the original.
  const auto after = (*opt)->export_state();
  for (const auto& [name, s] : good) {
    EXPECT_TRUE(torch::equal(after.at(name).exp_avg, s.exp_avg)) << name;
    EXPECT_EQ(after.at(name).step, s.step);
  }
  EXPECT_EQ((*opt)->steps_taken(), 1);
}

}  // namespace
}  // namespace leadrl::model
