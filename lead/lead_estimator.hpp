// File: lead/lead_estimator.hpp
//
// The LEAD advantage estimator of spec/lead.md: one call per training step on the whole
// step batch. It computes L*_q, R_eff, the decoupled group-normalised advantages, the PSI
// weights and the token-weighted whitening, advances the LEAD state, and keeps every
// intermediate (the fields of the test-vector schema, spec §0) and the `lead/*` metrics.
//
//   lead::lead_config config;  lead::lead_state state;
//   auto r = lead::lead_step(batch, config, state);  // r->advantages: one per rollout
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "lead/efficiency_reward.hpp"
#include "lead/group_normalization.hpp"
#include "lead/length_target.hpp"
#include "lead/length_target_table.hpp"
#include "lead/psi_controller.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// Every LEAD knob of spec/lead.md §2.1 with the C++ defaults, plus the table mode.
struct lead_config {
  length_aggregator aggregator = length_aggregator::mean_correct;
  efficiency_mode lstar_mode =
      efficiency_mode::max_sym;         ///< §14.1: max_sym, not the yaml's max_asym
  double lstar_floor = 1000.0;          ///< tokens; scale down for small budgets (e.g. 8)
  double bmax = 8000.0;                 ///< tokens; e.g. max_response_length
  double short_len = 500.0;             ///< tokens; max_asym only
  double alpha = 1.0;                   ///< potential exponent
  double beta = 0.95;                   ///< EMA momentum
  double epsilon = 1e-8;                ///< CV / normalisation guard
  double w_min = 0.3;                   ///< floor on w_corr (dynamic mode only)
  std::optional<double> static_w_corr;  ///< set: static ablation (w, 1 - w)
  double grpo_epsilon = 1e-6;           ///< added to the group std
  double sigma_floor = 1e-8;            ///< added under the PSI sigma square roots
  double whiten_epsilon = 1e-8;         ///< added to the batch variance
  double correct_threshold = 0.5;       ///< correct iff correctness > threshold (strict)
  /// Which L*_q is used: the reference `group`, or the persistent `table` estimate (needs a
  /// length_target_table passed to lead_step).
  length_target_mode lstar_table_mode = length_target_mode::group;
  std::int64_t lstar_table_history = 32;  ///< H of the table's update rule, >= 1
};

/// Checks `config`. Fails, naming the field, the expected range and the value, unless:
/// lstar_floor > 0; bmax >= 1; short_len >= 0; alpha >= 0; 0 <= beta <= 1; 0 <= w_min <= 1;
/// static_w_corr (if set) in [0, 1]; epsilon, grpo_epsilon, whiten_epsilon > 0;
/// sigma_floor >= 0; correct_threshold finite; lstar_table_history >= 1; every number
/// finite. lstar_floor > bmax is legal (spec/lead.md §2.1: odd, every aggregated L* is then
/// lstar_floor).
status validate_config(const lead_config& config);

/// Legal but suspicious settings of a valid config, one sentence each, for the caller to log
/// at start-up (spec/lead.md §2.1): lstar_floor > bmax (every aggregated L* is the floor),
/// max_asym with short_len > lstar_floor (correct rollouts near the floor earn nothing),
/// correct_threshold outside [0, 1) for 0/1 scores (§14.19).
std::vector<std::string> config_warnings(const lead_config& config);

/// An empty length-target table matching `config` (aggregator and history).
length_target_table make_length_target_table(const lead_config& config);

/// The outcome of one LEAD step, with every intermediate of the vector schema (spec §0).
/// Per-group vectors follow `groups` (prompts in first-appearance order).
struct lead_result {
  group_index groups;
  std::vector<bool> is_correct;               ///< correctness > correct_threshold
  std::vector<length_target> lstar;           ///< L*_q and its source, per group
  std::vector<double> r_eff;                  ///< efficiency reward per rollout (§4)
  std::vector<double> adv_corr;               ///< group-normalised correctness (§5)
  std::vector<double> adv_eff;                ///< group-normalised R_eff (§5)
  std::vector<group_stats> corr_group_stats;  ///< mean/std the normaliser used, per group
  std::vector<group_stats> eff_group_stats;
  psi_weights psi;                   ///< statistics, targets, EMA and weights (§6)
  std::vector<double> adv_combined;  ///< w_corr*adv_corr + w_eff*adv_eff (§7)
  whitening_stats whitening;         ///< token-weighted batch whitening (§7)
  std::vector<double> advantages;    ///< final advantage per rollout; broadcast to its tokens
  /// The `lead/*` metrics of §9.1 with their exact names; when a table is passed also
  /// lead/lstar_table_prompts (rows after the step) and lead/lstar_carried_prompts.
  std::map<std::string, double> metrics;
};

/// One LEAD step (spec/lead.md §2.2) over the whole step batch. On success advances
/// `state` (step_count + 1, EMA vector, initialized) and, when given, records this step's
/// visits in `table`; L*_q comes from the table when config.lstar_table_mode is `table`.
/// On failure neither `state` nor `table` changes. Fails when: the config is invalid
/// (validate_config); the batch is invalid (validate: empty, mismatched sizes, a length not
/// finite or < 1, a non-finite score); table mode without a table; a table whose
/// aggregator or history differ from the config; the batch has <= 1 token in all
/// (whitening undefined, spec §7).
result<lead_result> lead_step(const rollout_batch& batch, const lead_config& config,
                              lead_state& state, length_target_table* table = nullptr);

}  // namespace leadrl::lead
