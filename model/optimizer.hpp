// File: model/optimizer.hpp
//
// The learner's optimizer: AdamW with decoupled weight decay over named parameters
// (optionally no decay on norms and biases), global-L2 gradient clipping, the
// learning-rate schedule (linear warmup, then constant or cosine) as a pure function
// of the step, and the optimizer state exported/imported by parameter name so that
// snapshots store it under Hugging Face names (ARCHITECTURE.md §5). Parameters held in
// a 16-bit type (model.dtype=bfloat16) get float32 master weights: AdamW updates the
// master from the gradient cast to float32, and the parameter is the master rounded, so
// updates far below the 16-bit spacing (lr 1e-6 on weights near 1) still accumulate.
//
//   auto opt = leadrl::model::policy_optimizer::create(model->named_parameters(), {});
//   double norm = opt->clip_grad_norm(1.0);  opt->set_lr(learning_rate(sched, step));  opt->step();
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace leadrl::model {

/// Learning-rate schedule shapes after the warmup.
enum class lr_schedule_kind { constant, cosine };

/// Parses "constant" or "cosine". Fails on any other name.
result<lr_schedule_kind> parse_lr_schedule_kind(const std::string& name);

/// Linear warmup then constant or cosine decay, in optimizer steps (0-based: step s
/// is the s-th optimizer step about to be taken). Follows the warmup convention of
/// the Hugging Face / verl schedulers, so the first warmup step has lr 0:
/// - s < warmup_steps:   base_lr · s / warmup_steps
/// - constant:           base_lr
/// - cosine:             base_lr · (r + (1 − r) · ½(1 + cos(π·p))), p = (s − W)/(total − W)
///                       clamped to [0, 1], r = min_lr_ratio; from total_steps on, base_lr·r.
struct lr_schedule {
  double base_lr = 1e-6;
  int64_t warmup_steps = 0;
  lr_schedule_kind kind = lr_schedule_kind::constant;
  int64_t total_steps = 0;    ///< cosine only: the step at which lr reaches min_lr_ratio·base_lr
  double min_lr_ratio = 0.0;  ///< cosine only, in [0, 1]
};

/// Checks the schedule: base_lr finite and >= 0, warmup_steps >= 0, min_lr_ratio in
/// [0, 1], and for cosine total_steps > warmup_steps. The error names the field.
status validate(const lr_schedule& schedule);

/// The learning rate of optimizer step `step` (>= 0; negative steps count as 0). A pure
/// function; the schedule is assumed valid.
double learning_rate(const lr_schedule& schedule, int64_t step);

/// AdamW settings (defaults: spec/lead.md §10.2).
struct optimizer_config {
  double lr = 1e-6;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
  /// When true, 1-D parameters (norm weights, biases) and any parameter whose name ends
  /// in ".bias" or contains "norm" get no weight decay. Off by default: the reference
  /// decays every parameter.
  bool exclude_norms_and_biases = false;
};

/// Checks lr >= 0, betas in [0, 1), eps > 0, weight_decay >= 0 (all finite).
status validate(const optimizer_config& config);

/// True when `name`/`param` is exempt from decay under exclude_norms_and_biases.
bool is_norm_or_bias(const std::string& name, const torch::Tensor& param);

/// The AdamW state of one parameter, as a snapshot stores it.
struct adamw_param_state {
  int64_t step = 0;          ///< updates applied to this parameter
  torch::Tensor exp_avg;     ///< first moment, the master weight's shape and dtype
  torch::Tensor exp_avg_sq;  ///< second moment
};

/// Parameter name -> state; parameters that have never been updated are absent.
using named_optimizer_state = std::map<std::string, adamw_param_state>;

/// Global L2 norm of the gradients of `params` (those with a gradient), accumulated in
/// float64, and scaling of every gradient by max_norm / (norm + 1e-6) when that is < 1.
/// Returns the norm before clipping. A non-finite norm leaves the gradients untouched
/// (the caller should skip the step). max_norm <= 0 disables clipping (norm only).
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

/// AdamW over named parameters, with state addressable by name.
class policy_optimizer {
 public:
  /// Builds the optimizer over `params` (name -> tensor, requires_grad tensors; others
  /// are skipped). Two param groups when exclude_norms_and_biases: decayed, then exempt.
  /// Fails when the config is invalid, a name repeats, or no parameter requires grad.
  static result<std::unique_ptr<policy_optimizer>> create(
      const torch::OrderedDict<std::string, torch::Tensor>& params, const optimizer_config& config);

  /// Sets every parameter's gradient to none.
  void zero_grad();
  /// clip_grad_norm over this optimizer's parameters; returns the pre-clip norm.
  double clip_grad_norm(double max_norm);
  /// Sets the learning rate of every param group (the schedule's value for this step).
  void set_lr(double lr);
  double lr() const;
  /// One AdamW update of the parameters that have gradients (of their float32 masters,
  /// then rounded into the parameters, for 16-bit ones).
  void step();
  /// Optimizer steps taken through step() or restored by import_state.
  int64_t steps_taken() const { return steps_taken_; }

  /// The state of every parameter updated so far, by name (tensors are copies).
  named_optimizer_state export_state() const;
  /// Restores state written by export_state (e.g. read back from a snapshot), copying
  /// values into the master weight's dtype and device, and sets steps_taken() to
  /// `steps_taken`. Parameters absent from `state` start fresh.
  /// Fails, changing nothing, when a name is not one of this optimizer's parameters, a
  /// tensor is missing or its shape differs from the parameter's, or a step is negative.
  status import_state(const named_optimizer_state& state, int64_t steps_taken);

  /// Names in parameter order, and whether each is decayed.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<torch::Tensor>& parameters() const { return params_; }
  /// The weights AdamW updates, in parameter order: the parameter itself when it is
  /// float32 or float64, else a float32 copy. Snapshots store these.
  const std::vector<torch::Tensor>& master_parameters() const { return masters_; }
  /// Rounds every master into its parameter (after the masters were overwritten, e.g. by
  /// a snapshot's weights); a no-op for parameters that are their own master.
  void copy_masters_to_parameters();
  bool decayed(const std::string& name) const;
  const optimizer_config& config() const { return config_; }

 private:
  policy_optimizer(std::vector<std::string> names, std::vector<torch::Tensor> params,
                   std::vector<bool> decay, optimizer_config config);

  std::vector<std::string> names_;
  std::vector<torch::Tensor> params_;
  std::vector<torch::Tensor> masters_;  // params_[i] itself, or its float32 master
  std::vector<bool> decay_;
  optimizer_config config_;
  std::unique_ptr<torch::optim::AdamW> adamw_;
  int64_t steps_taken_ = 0;
};

}  // namespace leadrl::model
