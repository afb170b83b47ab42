// File: model/policy_loss.hpp
//
// The learner's loss, independent of the network: teacher-forced log-probs and
// entropies from logits, the PPO clipped surrogate with separate low/high clip, KL
// to a frozen reference as a loss term, and the three loss aggregations, with the
// scalar metrics the trainer logs (spec/lead.md §9.2, §10.1).
//
//   auto tok = leadrl::model::response_log_probs(logits, input_ids, /*temperature=*/1.0);
//   auto out = leadrl::model::policy_loss({tok.log_probs, old_lp, adv, mask, tok.entropy}, cfg);
//
// Token alignment used throughout: logits [B, T, V] of a forward pass over
// input_ids [B, T] predict the next token, so every per-token tensor of the loss is
// [B, T-1] and entry t belongs to token input_ids[:, t+1]. The response (loss) mask is
// given in that shifted layout: mask[b, t] = 1 iff input_ids[b, t+1] is a response token.
//
// Micro-batches. Every aggregation is a sum over tokens divided by a denominator taken
// from the whole mini-batch (loss_denominator). Pass the mini-batch's denominator (the
// sum of count_denominator over its micro-batches, and over data-parallel ranks when
// gradients are summed across ranks) to every micro-batch call: the micro-batch losses
// and metrics then add up exactly to the loss and metrics of the whole mini-batch in one
// call, so their gradients are accumulated by plain backward() calls (spec/lead.md §10.1
// recommendation). Leaving the denominator empty gives each micro-batch its own
// (the reference fork's behaviour, which weights micro-batches equally).
#pragma once

#include <torch/torch.h>

#include <string>

#include "base/result.hpp"

namespace leadrl::model {

/// How per-token losses are reduced to one number (spec/lead.md §10.1). With m the
/// response mask, l the per-token loss, N_tok = Σ m over the mini-batch and N_seq the
/// number of mini-batch rows with at least one response token:
/// - token_mean:          Σ_{b,t} m·l / N_tok
/// - seq_mean_token_sum:  Σ_b (Σ_t m·l) / N_seq
/// - seq_mean_token_mean: Σ_b (Σ_t m·l / Σ_t m) / N_seq   (rows without tokens add 0)
enum class loss_aggregation { token_mean, seq_mean_token_sum, seq_mean_token_mean };

/// KL estimators between the policy and the frozen reference, per token, with
/// d = logp − ref_logp (spec/lead.md §10.1):
/// - k1 ("kl"):               d
/// - abs:                     |d|
/// - mse ("k2"):              ½·d²
/// - low_var_kl ("k3"):       exp(−d) + d − 1, clamped to [−10, 10]
enum class kl_estimator { k1, abs, mse, low_var_kl };

/// Parses "token-mean", "seq-mean-token-sum", "seq-mean-token-mean" (underscores
/// accepted too). Fails on any other name, naming it and the accepted ones.
result<loss_aggregation> parse_loss_aggregation(const std::string& name);
/// The canonical (hyphenated) name.
std::string to_string(loss_aggregation aggregation);

/// Parses "kl"/"k1", "abs", "mse"/"k2", "low_var_kl"/"k3". Fails on any other name.
result<kl_estimator> parse_kl_estimator(const std::string& name);
/// The canonical name ("kl", "abs", "mse", "low_var_kl").
std::string to_string(kl_estimator estimator);

/// Per-token log-probs and entropies of the tokens that follow each position.
struct token_log_probs {
  torch::Tensor log_probs;  ///< [B, T-1]: log p(input_ids[:, t+1] | prefix), dtype of z
  torch::Tensor entropy;    ///< [B, T-1]: entropy of softmax(z[:, t]); undefined unless asked
};

/// Log-probs of `targets` under softmax(logits / temperature): logits [..., V],
/// targets [...] int64 (same leading shape). Computed as z[target] − logsumexp(z), in
/// the logits' dtype (pass double logits for gradient checks). Differentiable in logits.
/// Bad shapes or a temperature <= 0 are broken invariants (they throw c10::Error);
/// use response_log_probs for checked input.
torch::Tensor gather_log_probs(const torch::Tensor& logits, const torch::Tensor& targets,
                               double temperature = 1.0);

/// Entropy of softmax(z), z = logits / temperature, per leading index: logsumexp(z) −
/// Σ softmax(z)·z (spec/lead.md §10.1). Differentiable in logits. Same invariants as
/// gather_log_probs.
torch::Tensor entropy_from_logits(const torch::Tensor& logits, double temperature = 1.0);

/// Teacher-forced next-token log-probs (and entropies when `with_entropy`) for a forward
/// pass: logits [B, T, V] over input_ids [B, T] give [B, T-1] tensors (alignment in the
/// File block). The temperature is the rollout temperature, as the behaviour log-probs
/// were taken under it.
/// Fails when logits is not 3-D floating point, input_ids is not a [B, T] integer tensor
/// of the same B and T, T < 2, or temperature is not a finite number > 0.
result<token_log_probs> response_log_probs(const torch::Tensor& logits,
                                           const torch::Tensor& input_ids, double temperature,
                                           bool with_entropy = true);

/// The normalisers of the aggregations (see loss_aggregation): summed over the
/// micro-batches (and ranks) that form one optimizer step.
struct loss_denominator {
  double tokens = 0;     ///< Σ response mask
  double sequences = 0;  ///< rows with at least one response token
  bool empty() const { return tokens == 0 && sequences == 0; }
  loss_denominator& operator+=(const loss_denominator& other) {
    tokens += other.tokens;
    sequences += other.sequences;
    return *this;
  }
};

/// Counts of a [B, T] response mask (0/1 numbers or bool). A broken invariant when the
/// mask is not 2-D.
loss_denominator count_denominator(const torch::Tensor& response_mask);

/// Settings of the loss (defaults: spec/lead.md §10.1–10.2).
struct policy_loss_config {
  double clip_low = 0.2;       ///< ratio is clipped below at 1 − clip_low
  double clip_high = 0.2;      ///< ratio is clipped above at 1 + clip_high
  double entropy_coeff = 0.0;  ///< bonus weight; the paper's scripts use 0.001
  double kl_coef = 0.0;        ///< weight of the KL loss; 0 turns it off
  kl_estimator kl_type = kl_estimator::low_var_kl;
  /// +1: total = … + kl_coef·kl (pulls towards the reference, the fixed upstream form).
  /// −1: total = … − kl_coef·kl, reproducing the reference fork (spec/lead.md §10.1).
  int kl_loss_sign = +1;
  loss_aggregation aggregation = loss_aggregation::token_mean;
};

/// Checks the config: clips finite and in [0, 1) for clip_low and >= 0 for clip_high,
/// coefficients finite and >= 0, kl_loss_sign ±1. The error names the field.
status validate(const policy_loss_config& config);

/// One micro-batch's inputs, every per-token tensor [B, T'] in the shifted layout.
struct policy_loss_inputs {
  torch::Tensor log_probs;      ///< current policy; gradients flow through it
  torch::Tensor old_log_probs;  ///< behaviour / old policy (no gradient)
  torch::Tensor advantages;     ///< [B, T'] per token, or [B] per sequence
  torch::Tensor response_mask;  ///< 0/1 numbers or bool
  /// Per-token entropy (gradients flow); needed only when entropy_coeff > 0, otherwise
  /// used for the metric when given.
  torch::Tensor entropy;
  /// Frozen reference log-probs; needed only when kl_coef > 0, else used for the metric.
  torch::Tensor ref_log_probs;
};

/// Scalar summaries of one loss call. With a shared denominator every field is additive
/// over micro-batches (operator+= gives the mini-batch values).
struct policy_loss_metrics {
  double pg_loss = 0;      ///< aggregated clipped surrogate
  double pg_clipfrac = 0;  ///< token mean of [clipped term > unclipped term]
  double ppo_kl = 0;       ///< token mean of logp_old − logp
  double entropy = 0;      ///< aggregated entropy (0 when no entropy was given)
  double kl_loss = 0;      ///< aggregated KL estimator (0 when no reference was given)
  double total_loss = 0;   ///< pg_loss − entropy_coeff·entropy + sign·kl_coef·kl_loss
  double tokens = 0;       ///< response tokens in this call
  policy_loss_metrics& operator+=(const policy_loss_metrics& other);
};

/// The loss tensor (0-d, differentiable) and its metrics.
struct policy_loss_output {
  torch::Tensor loss;
  policy_loss_metrics metrics;
};

/// The PPO clipped surrogate per token (spec/lead.md §10.1):
/// ratio = exp(logp − logp_old); loss = max(−A·ratio, −A·clip(ratio, 1−c_low, 1+c_high)),
/// aggregated by config.aggregation, plus −entropy_coeff·entropy + sign·kl_coef·kl.
/// `denominator` is the mini-batch's (see File block); empty means this call's own.
/// pg_clipfrac and ppo_kl are always token means (over denominator.tokens).
/// Fails when the config is invalid; log_probs/old_log_probs/response_mask are not
/// 2-D of one shape; advantages are neither that shape nor [B]; entropy is missing
/// with entropy_coeff > 0 or ref_log_probs missing with kl_coef > 0 (or either has the
/// wrong shape); log_probs is not floating point; or the denominator has a zero count
/// that the aggregation divides by while the mask holds tokens.
result<policy_loss_output> policy_loss(const policy_loss_inputs& inputs,
                                       const policy_loss_config& config,
                                       loss_denominator denominator = {});

/// Per-token KL estimator values (see kl_estimator), differentiable in log_probs.
torch::Tensor kl_penalty(const torch::Tensor& log_probs, const torch::Tensor& ref_log_probs,
                         kl_estimator estimator);

/// Reduces per-token `values` [B, T'] under `mask` by `aggregation` with `denominator`
/// (empty: this mask's own counts). A broken invariant when shapes differ. Returns 0
/// when the denominator's relevant count is 0 (an all-padding micro-batch).
torch::Tensor aggregate_loss(const torch::Tensor& values, const torch::Tensor& mask,
                             loss_aggregation aggregation, loss_denominator denominator = {});

}  // namespace leadrl::model
