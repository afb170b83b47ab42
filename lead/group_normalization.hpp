// File: lead/group_normalization.hpp
//
// The normalisers shared by LEAD and the baselines: GRPO group normalisation (with or
// without the std, spec/lead.md §5, spec/baselines.md §0.1), the RLOO leave-one-out
// baseline (§0.2) and token-weighted batch whitening in both flavours (§0.3).
//
//   auto g = lead::index_groups(batch.prompt_ids);
//   auto adv = lead::group_normalize(rewards, g, {});          // verl GRPO
//   auto fin = lead::whiten(adv, batch.lengths, {});            // verl masked whitening
#pragma once

#include <vector>

#include "base/result.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// How group_normalize treats a group (spec/lead.md §5).
struct group_normalization_options {
  double epsilon = 1e-6;     ///< added to the std (not the variance)
  bool scale_by_std = true;  ///< false: Dr. GRPO "no std" variant, A = r - mean
};

/// The mean and std a group was normalised with; singletons report mean 0, std 1.
struct group_stats {
  double mean = 0.0;
  double std = 1.0;
  std::size_t size = 0;
};

/// GRPO outcome normalisation per group: A_i = (v_i - mean) / (std + eps) with the
/// unbiased (n-1) std for n >= 2; a group of one uses mean 0, std 1. With
/// scale_by_std = false, A_i = v_i - mean (a singleton keeps v_i). `values` has one
/// entry per rollout of `groups`. If `stats` is given it receives one entry per group.
std::vector<double> group_normalize(const std::vector<double>& values, const group_index& groups,
                                    const group_normalization_options& options,
                                    std::vector<group_stats>* stats = nullptr);

/// RLOO: A_i = r_i - mean of the other rewards of its group (spec/baselines.md §0.2).
/// Fails if a group has a single rollout (the baseline is undefined).
result<std::vector<double>> rloo_advantages(const std::vector<double>& values,
                                            const group_index& groups);

/// The two batch-whitening flavours of spec/baselines.md §0.3.
enum class whitening_kind {
  unbiased,    ///< verl masked_whiten: var = sum w(a-m)^2 / (N-1), out (a-m)/sqrt(var+eps)
  population,  ///< OpenRLHF: var = sum w(a-m)^2 / N, out (a-m) * max(var, eps)^-1/2
};

struct whitening_options {
  whitening_kind kind = whitening_kind::unbiased;
  double epsilon = 1e-8;
};

/// Statistics of one whitening: N = sum of weights, token-weighted mean and variance,
/// and the factor that multiplied (a - mean).
struct whitening_stats {
  double token_count = 0.0;
  double mean = 0.0;
  double var = 0.0;
  double inv_std = 0.0;
};

/// Token-weighted whitening: each value counts `weights[i]` times (its token count).
/// Accumulates in double. Fails on mismatched sizes, an empty batch, a negative or
/// non-finite weight or value, or (unbiased kind) a total weight N <= 1, as the
/// reference does (spec/lead.md §7).
result<std::vector<double>> whiten(const std::vector<double>& values,
                                   const std::vector<double>& weights,
                                   const whitening_options& options,
                                   whitening_stats* stats = nullptr);

}  // namespace leadrl::lead
