#include "model/optimizer.hpp"

#include <cmath>
#include <set>
#include <sstream>
#include <type_traits>
#include <vector>

#include "model/tensor_types.hpp"

namespace leadrl::model {
namespace {

constexpr double pi = 3.14159265358979323846;

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

bool in_unit_interval(double v) {
  return std::isfinite(v) && v >= 0 && v < 1;
}

// torch::optim keeps per-parameter state in a map keyed by the parameter's TensorImpl:
// its address as a string in LibTorch 1.x, the address itself in 2.x. Deduce which.
template <class Map>
typename Map::key_type state_key(const torch::Tensor& p) {
  using key_type = typename Map::key_type;
  if constexpr (std::is_same_v<key_type, std::string>) {
    return c10::guts::to_string(p.unsafeGetTensorImpl());
  } else {
    return static_cast<key_type>(p.unsafeGetTensorImpl());
  }
}

using state_map = std::remove_reference_t<decltype(std::declval<torch::optim::AdamW&>().state())>;

// The weight AdamW updates for `p`: `p` itself in float32 or float64, else a float32 copy.
torch::Tensor master_of(const torch::Tensor& p) {
  if (p.scalar_type() == torch::kFloat || p.scalar_type() == torch::kDouble) return p;
  torch::NoGradGuard no_grad;
  return p.detach().to(torch::kFloat).clone().set_requires_grad(true);
}

}  // namespace

result<lr_schedule_kind> parse_lr_schedule_kind(const std::string& name) {
  if (name == "constant") return lr_schedule_kind::constant;
  if (name == "cosine") return lr_schedule_kind::cosine;
  return fail("lr schedule: expected constant or cosine, got '" + name + "'");
}

status validate(const lr_schedule& s) {
  if (!std::isfinite(s.base_lr) || s.base_lr < 0) {
    return fail("base_lr: expected a finite number >= 0, got " + number_text(s.base_lr));
  }
  if (s.warmup_steps < 0) {
    return fail("warmup_steps: expected an integer >= 0, got " + std::to_string(s.warmup_steps));
  }
  if (!std::isfinite(s.min_lr_ratio) || s.min_lr_ratio < 0 || s.min_lr_ratio > 1) {
    return fail("min_lr_ratio: expected a number in [0, 1], got " + number_text(s.min_lr_ratio));
  }
  if (s.kind == lr_schedule_kind::cosine && s.total_steps <= s.warmup_steps) {
    return fail("total_steps: expected more than warmup_steps (" + std::to_string(s.warmup_steps) +
                ") for a cosine schedule, got " + std::to_string(s.total_steps));
  }
  return status::success();
}

double learning_rate(const lr_schedule& s, int64_t step) {
  if (step < 0) step = 0;
  if (step < s.warmup_steps) {
    return s.base_lr * static_cast<double>(step) / static_cast<double>(s.warmup_steps);
  }
  if (s.kind == lr_schedule_kind::constant) return s.base_lr;
  const double span = static_cast<double>(std::max<int64_t>(1, s.total_steps - s.warmup_steps));
  double progress = static_cast<double>(step - s.warmup_steps) / span;
  if (progress > 1) progress = 1;
  const double cosine = 0.5 * (1.0 + std::cos(pi * progress));
  return s.base_lr * (s.min_lr_ratio + (1.0 - s.min_lr_ratio) * cosine);
}

status validate(const optimizer_config& c) {
  if (!std::isfinite(c.lr) || c.lr < 0) {
    return fail("lr: expected a finite number >= 0, got " + number_text(c.lr));
  }
  if (!in_unit_interval(c.beta1)) {
    return fail("beta1: expected a number in [0, 1), got " + number_text(c.beta1));
  }
  if (!in_unit_interval(c.beta2)) {
    return fail("beta2: expected a number in [0, 1), got " + number_text(c.beta2));
  }
  if (!std::isfinite(c.eps) || c.eps <= 0) {
    return fail("eps: expected a finite number > 0, got " + number_text(c.eps));
  }
  if (!std::isfinite(c.weight_decay) || c.weight_decay < 0) {
    return fail("weight_decay: expected a finite number >= 0, got " + number_text(c.weight_decay));
  }
  return status::success();
}

bool is_norm_or_bias(const std::string& name, const torch::Tensor& param) {
  const std::string bias = ".bias";
  const bool ends_in_bias =
      name.size() >= bias.size() && name.compare(name.size() - bias.size(), bias.size(), bias) == 0;
  return param.dim() <= 1 || ends_in_bias || name.find("norm") != std::string::npos;
}

namespace {

// Σ g² of one gradient as a float64 scalar tensor (see clip_grad_norm).
torch::Tensor squared_norm(const torch::Tensor& g) {
  constexpr std::int64_t slice = 4096;
  const auto dtype = g.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  const torch::Tensor flat = g.reshape({-1});
  const std::int64_t n = flat.numel();
  const std::int64_t body = n / slice * slice;
  torch::Tensor sum = torch::zeros({}, torch::kDouble);
  if (body > 0) {
    const auto rows = flat.narrow(0, 0, body).view({body / slice, slice});
    sum = sum + at::linalg_vector_norm(rows, 2, {1}, false, dtype).to(torch::kDouble).square().sum();
  }
  if (n > body) {
    const auto tail = flat.narrow(0, body, n - body);
    sum = sum + at::linalg_vector_norm(tail, 2, c10::nullopt, false, dtype).to(torch::kDouble).square();
  }
  return sum;
}

}  // namespace

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  // Squared norms of 4,096-entry slices of each gradient in its own precision (float32
  // at least: no float64 copy of the gradients, and few enough terms per sum that float32
  // keeps ~1e-7 relative), added up in float64, read once.
  std::vector<torch::Tensor> norms;
  for (const torch::Tensor& p : params) {
    const torch::Tensor& g = p.grad();
    if (g.defined()) norms.push_back(squared_norm(g));
  }
  const double norm = norms.empty() ? 0.0 : std::sqrt(torch::stack(norms).sum().item<double>());
  if (max_norm > 0 && std::isfinite(norm)) {
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1) {
      for (const torch::Tensor& p : params) {
        if (p.grad().defined()) p.mutable_grad().mul_(coef);
      }
    }
  }
  return norm;
}

result<std::unique_ptr<policy_optimizer>> policy_optimizer::create(
    const torch::OrderedDict<std::string, torch::Tensor>& params, const optimizer_config& config) {
  if (status s = validate(config); !s) return s.error().with_context("optimizer config");
  std::vector<std::string> names;
  std::vector<torch::Tensor> tensors;
  std::vector<bool> decay;
  std::set<std::string> seen;
  for (const auto& item : params) {
    if (!item.value().requires_grad()) continue;
    if (!seen.insert(item.key()).second) {
      return fail("parameters: name '" + item.key() + "' appears twice");
    }
    names.push_back(item.key());
    tensors.push_back(item.value());
    decay.push_back(
        !(config.exclude_norms_and_biases && is_norm_or_bias(item.key(), item.value())));
  }
  if (tensors.empty()) return fail("parameters: expected at least one tensor that requires grad");
  return std::unique_ptr<policy_optimizer>(
      new policy_optimizer(std::move(names), std::move(tensors), std::move(decay), config));
}

policy_optimizer::policy_optimizer(std::vector<std::string> names,
                                   std::vector<torch::Tensor> params, std::vector<bool> decay,
                                   optimizer_config config)
    : names_(std::move(names)),
      params_(std::move(params)),
      decay_(std::move(decay)),
      config_(config) {
  for (const torch::Tensor& p : params_) masters_.push_back(master_of(p));
  const auto options = [&](double wd) {
    return torch::optim::AdamWOptions(config_.lr)
        .betas(std::make_tuple(config_.beta1, config_.beta2))
        .eps(config_.eps)
        .weight_decay(wd);
  };
  std::vector<torch::Tensor> decayed, exempt;
  for (size_t i = 0; i < params_.size(); ++i) (decay_[i] ? decayed : exempt).push_back(masters_[i]);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decayed.empty()) {
    groups.emplace_back(
        decayed, std::make_unique<torch::optim::AdamWOptions>(options(config_.weight_decay)));
  }
  if (!exempt.empty()) {
    groups.emplace_back(exempt, std::make_unique<torch::optim::AdamWOptions>(options(0.0)));
  }
  adamw_ = std::make_unique<torch::optim::AdamW>(std::move(groups), options(config_.weight_decay));
}

void policy_optimizer::zero_grad() {
  for (size_t i = 0; i < params_.size(); ++i) {
    for (torch::Tensor* t : {&params_[i], &masters_[i]}) {
      if (t->grad().defined()) t->mutable_grad() = torch::Tensor();
    }
  }
}

double policy_optimizer::clip_grad_norm(double max_norm) {
  return model::clip_grad_norm(params_, max_norm);
}

void policy_optimizer::set_lr(double lr) {
  for (auto& group : adamw_->param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  }
}

double policy_optimizer::lr() const {
  return static_cast<const torch::optim::AdamWOptions&>(adamw_->param_groups().front().options())
      .lr();
}

void policy_optimizer::step() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (masters_[i].is_same(params_[i])) continue;
    const torch::Tensor& g = params_[i].grad();
    masters_[i].mutable_grad() = g.defined() ? g.to(torch::kFloat) : torch::Tensor();
  }
  adamw_->step();
  copy_masters_to_parameters();
  ++steps_taken_;
}

void policy_optimizer::copy_masters_to_parameters() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!masters_[i].is_same(params_[i])) params_[i].copy_(masters_[i]);
  }
}

bool policy_optimizer::decayed(const std::string& name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return decay_[i];
  }
  return false;
}

named_optimizer_state policy_optimizer::export_state() const {
  named_optimizer_state out;
  const auto& states = adamw_->state();
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto it = states.find(state_key<state_map>(masters_[i]));
    if (it == states.end()) continue;
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    adamw_param_state e;
    e.step = s.step();
    e.exp_avg = s.exp_avg().detach().clone();
    e.exp_avg_sq = s.exp_avg_sq().detach().clone();
    out.emplace(names_[i], std::move(e));
  }
  return out;
}

status policy_optimizer::import_state(const named_optimizer_state& state, int64_t steps_taken) {
  if (steps_taken < 0) {
    return fail("optimizer step: expected an integer >= 0, got " + std::to_string(steps_taken));
  }
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < names_.size(); ++i) index.emplace(names_[i], i);
  // Check everything before touching the optimizer, so a failure changes nothing.
  for (const auto& [name, s] : state) {
    const auto it = index.find(name);
    if (it == index.end()) return fail("optimizer state '" + name + "': not a trainable parameter");
    const torch::Tensor& p = masters_[it->second];
    if (s.step < 0) {
      return fail("optimizer state '" + name + "': expected step >= 0, got " +
                  std::to_string(s.step));
    }
    for (const auto& [what, t] :
         {std::pair<const char*, const torch::Tensor*>{"exp_avg", &s.exp_avg},
          {"exp_avg_sq", &s.exp_avg_sq}}) {
      if (!t->defined()) return fail("optimizer state '" + name + "': " + what + " is missing");
      if (t->sizes() != p.sizes()) {
        return fail("optimizer state '" + name + "': " + what + " has shape " + shape_text(*t) +
                    ", expected " + shape_text(p) + " (the parameter's)");
      }
    }
  }
  auto& states = adamw_->state();
  for (const torch::Tensor& p : masters_) states.erase(state_key<state_map>(p));
  for (const auto& [name, s] : state) {
    const torch::Tensor& p = masters_[index.at(name)];
    auto entry = std::make_unique<torch::optim::AdamWParamState>();
    entry->step(s.step);
    entry->exp_avg(s.exp_avg.detach().to(p.options()).clone());
    entry->exp_avg_sq(s.exp_avg_sq.detach().to(p.options()).clone());
    states[state_key<state_map>(p)] = std::move(entry);
  }
  steps_taken_ = steps_taken;
  return status::success();
}

}  // namespace leadrl::model
