// File: model/learner_step.hpp
//
// The learner's update on a decoder, built from model/policy_loss and model/optimizer:
// teacher-forced log-probs without gradient (old and reference log-probs), one
// micro-batch's forward + loss + backward (gradients accumulate), and one optimizer step
// (clip, scheduled lr, AdamW) per mini-batch (ARCHITECTURE.md §4 step 5, spec/lead.md §10).
//
//   for (auto& mb : micro_batches) accumulate_gradients(*policy, mb, loss_cfg, den, 1.0);
//   optimizer_step_report r = apply_optimizer_step(*opt, schedule, /*max_grad_norm=*/1.0);
//
// Tensor layout: input_ids [B, T] (prompt and response, any padding marked by
// attention_mask); every per-token tensor is [B, T-1] in the shifted layout of
// model/policy_loss.hpp (entry t belongs to token t+1).
#pragma once

#include <torch/torch.h>

#include "base/result.hpp"
#include "model/decoder.hpp"
#include "model/optimizer.hpp"
#include "model/policy_loss.hpp"

namespace leadrl::model {

/// One micro-batch of rollouts as the learner consumes it.
struct learner_micro_batch {
  torch::Tensor input_ids;       ///< [B, T] int64
  torch::Tensor attention_mask;  ///< [B, T] 0/1 (1 = real token); undefined = all real
  torch::Tensor response_mask;   ///< [B, T-1] tokens that carry loss
  torch::Tensor old_log_probs;   ///< [B, T-1] behaviour / old policy log-probs
  torch::Tensor advantages;      ///< [B, T-1] or [B]
  torch::Tensor ref_log_probs;   ///< [B, T-1]; needed when the loss has kl_coef > 0
};

/// Next-token log-probs [B, T-1] of `input_ids` under `model` at `temperature`, with no
/// gradient: the old-policy log-probs right after generation, or the frozen reference's.
/// Positions come from the attention mask (left padding allowed). The vocabulary
/// projection is computed only at the entries of `needed` ([B, T-1], nonzero = needed,
/// e.g. the response mask; undefined = every entry); the other entries are 0. Over a
/// 151,936-token vocabulary that projection is most of a small model's work.
/// Fails when input_ids is not [B, T] integer with T >= 2, the mask's or `needed`'s shape
/// differs, or the temperature is not > 0.
result<torch::Tensor> compute_log_probs(decoder_impl& model, const torch::Tensor& input_ids,
                                        const torch::Tensor& attention_mask, double temperature,
                                        const torch::Tensor& needed = {});

/// Teacher-forced next-token log-probs (and entropies when `with_entropy`) [B, T-1], like
/// response_log_probs over model.forward's logits, but with the vocabulary projection
/// only at the entries of `needed` (see compute_log_probs); other entries are 0.
/// Differentiable in the parameters (the entropy only when `entropy_grad`). Fails on the
/// input checks of compute_log_probs.
result<token_log_probs> needed_log_probs(decoder_impl& model, const torch::Tensor& input_ids,
                                         const torch::Tensor& attention_mask,
                                         const torch::Tensor& needed, double temperature,
                                         bool with_entropy, bool entropy_grad = false);

/// Forward, policy loss and backward for one micro-batch: adds the gradient of this
/// micro-batch's share of the mini-batch loss to the parameters' .grad (pass the
/// mini-batch's `denominator`; see model/policy_loss.hpp). Entropy is computed with
/// gradient only when entropy_coeff > 0 (otherwise for the metric only).
/// Fails on every failure of compute_log_probs's input checks and of policy_loss.
result<policy_loss_metrics> accumulate_gradients(decoder_impl& model,
                                                 const learner_micro_batch& batch,
                                                 const policy_loss_config& config,
                                                 const loss_denominator& denominator,
                                                 double temperature);

/// What one optimizer step did.
struct optimizer_step_report {
  double grad_norm = 0;  ///< global L2 norm before clipping
  double lr = 0;         ///< learning rate used
  bool applied = false;  ///< false when the norm was not finite and the step was skipped
};

/// Clips gradients to `max_grad_norm` (<= 0: no clipping), sets the schedule's learning
/// rate for step optimizer.steps_taken(), takes the AdamW step unless the gradient norm
/// is not finite, and clears the gradients either way.
optimizer_step_report apply_optimizer_step(policy_optimizer& optimizer, const lr_schedule& schedule,
                                           double max_grad_norm);

}  // namespace leadrl::model
