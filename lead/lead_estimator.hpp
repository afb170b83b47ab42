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
#include <string>
#include <vector>

#include "base/result.hpp"
#include "lead/efficiency_reward.hpp"
#include "lead/group_normalization.hpp"
#include "lead/lead_config.hpp"
#include "lead/length_target.hpp"
#include "lead/length_target_table.hpp"
#include "lead/psi_controller.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

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
/// visits in `table`; L*_q comes from the table when config.lstar_table is `table`.
/// On failure neither `state` nor `table` changes. Fails when: the config is invalid
/// (validate_config); the batch is invalid (validate: empty, mismatched sizes, a length not
/// finite or < 1, a non-finite score); table mode without a table; a table whose
/// aggregator or history differ from the config; the batch has <= 1 token in all
/// (whitening undefined, spec §7).
result<lead_result> lead_step(const rollout_batch& batch, const lead_config& config,
                              lead_state& state, length_target_table* table = nullptr);

}  // namespace leadrl::lead
