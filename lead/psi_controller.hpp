// File: lead/psi_controller.hpp
//
// The PSI controller of spec/lead.md §6: batch statistics of the correctness and
// efficiency rewards, their CVs and potentials, the target weights, and the EMA with
// its lambda_min floor (or the static-weight ablation), plus the state it carries across steps.
//
//   lead::lead_state state;  lead::lead_config config;  // fresh: uniform prior on first use
//   auto w = lead::psi_update(batch.correctness, r_eff, is_correct, groups, config, state);
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "lead/lead_config.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// What LEAD carries from one step to the next (spec/lead.md §8). Plain fields so that a
/// snapshot writer can store them as they are.
struct lead_state {
  /// The unfloored EMA vector [w_corr, w_eff] (or the static pair); empty before step 1.
  std::optional<std::array<double, 2>> ema_weights;
  /// Whether ema_weights is to be used; false selects the uniform prior [0.5, 0.5] even if a
  /// vector is present (spec/lead.md §6.4).
  bool initialized = false;
  /// Steps taken (after the increment of the current step); feeds `lead/step`.
  std::int64_t step_count = 0;
};

/// Per-prompt inputs of the PSI statistics (spec/lead.md §6.1).
struct psi_group_stats {
  double corr_mean = 0.0;         ///< mean correctness score over all rollouts
  double corr_var_biased = 0.0;   ///< biased (1/m) variance of the correctness scores
  std::size_t eff_n_correct = 0;  ///< correct rollouts, i.e. R_eff values that enter
  double eff_mean = 0.0;          ///< mean R_eff over correct rollouts; 0 if eff_n_correct == 0
  double eff_var_biased = 0.0;    ///< biased variance of those; 0 if eff_n_correct == 0
};

/// The PSI quantities of one reward (spec/lead.md §6.1–§6.2).
struct psi_reward_stats {
  double mu = 0.0;
  double sigma = 0.0;
  double cv = 0.0;
  double cv_norm = 0.0;
  double potential = 0.0;
  double D = 0.0;  // NOLINT: the spec's name D_k
};

/// Everything the controller computed for one step.
struct psi_weights {
  std::vector<psi_group_stats> groups;  ///< one per group, in group order
  psi_reward_stats corr;
  psi_reward_stats eff;
  std::array<double, 2> target{};  ///< instantaneous targets [t_corr, t_eff] (§6.3)
  /// The vector the EMA blended with (uniform prior on first use); empty in static mode.
  std::optional<std::array<double, 2>> ema_prev_used;
  std::array<double, 2> ema_next{};  ///< the vector to store: unfloored EMA or static pair
  double w_corr = 0.5;               ///< applied correctness weight (after floor / static)
  double w_eff = 0.5;                ///< applied efficiency weight, always 1 - w_corr
};

/// Batch statistics, targets and weights for one step (spec/lead.md §6). `correctness` and
/// `r_eff` are the raw scores and efficiency rewards of every rollout of `groups`;
/// `is_correct` selects the R_eff values that enter the efficiency statistics. Reads but
/// does not change `state`; see commit_psi_weights. Reads the PSI knobs of `config` (alpha,
/// beta, epsilon, lambda_min, static_lambda_corr, sigma_floor), assumed validated
/// (validate_config).
psi_weights psi_update(const std::vector<double>& correctness, const std::vector<double>& r_eff,
                       const std::vector<bool>& is_correct, const group_index& groups,
                       const lead_config& config, const lead_state& state);

/// Stores the step's EMA vector (or static pair) in `state` and marks it initialized
/// (spec/lead.md §6.4). Does not touch step_count.
void commit_psi_weights(const psi_weights& weights, lead_state& state);

}  // namespace leadrl::lead
