// File: lead/estimator.hpp
//
// Advantage estimators selected by name (`algorithm.adv_estimator`): LEAD and every
// baseline of spec/baselines.md behind one call, with one configuration struct, one
// state struct that persists across steps (LEAD's PSI state and length-target table,
// HAPO's history), and one output (advantages, rewards, metrics).
//
//   lead::estimator_config config;  config.name = "arora";  lead::estimator_state state;
//   auto out = lead::compute_advantages(config, batch, state);  // out->advantages per rollout
//
// Names and what each reads besides prompt_ids / lengths / correctness of the batch:
//   lead            spec/lead.md; config.lead; state.lead and state.lstar_table
//   grpo            verl GRPO on the correctness score (spec/baselines.md §0.1)
//   grpo_no_std     r - group mean on the correctness score (§0.1)
//   gdpo            components correctness, format (batch.format, zeros if absent) and
//                   1[correct and L <= config.gdpo.length_threshold]; §4
//   arora_zanette   (alias arora) sigmoid penalty, RLOO, OpenRLHF whitening; batch.truncated; §1
//   lead_repo_grpo  threshold reward + GRPO; inputs.estimated_length (else batch.lengths); §2
//   kimi            1[c] + w * Kimi length reward, GRPO; §5
//   l1_exact        L1-Exact + GRPO; inputs.n_gold required; §6
//   l1_max          L1-Max (config.l1.max_variant) + GRPO; inputs.n_gold required; §6
//   thinkprune      1[correct, finished, L <= limit] + GRPO; batch.truncated; §7
//   shorterbetter   SOL reward + GRPO; §8
//   hapo            history length reward + GRPO; state.hapo, updated after the step; §10
//   dapo_overlong   DAPO rule reward (+1 / -1) + soft overlong penalty, GRPO; §11
//   o1_pruner       reward used as the advantage; inputs.ref_mean_length and
//                   inputs.ref_mean_accuracy required; §12
//   laser, laser_d, laser_de   LASER family + GRPO; batch.format (if present) marks
//                   invalid rows (score <= 0.5); §13
// LC-R1 (§9) is not selectable: it needs an answer-position extractor and puts part of
// its advantage on one token; its pieces are lead::lcr1 in lead/baselines.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "lead/baseline_hapo.hpp"
#include "lead/baselines.hpp"
#include "lead/lead_estimator.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// GDPO's three components as the LEAD repository defines them (spec/baselines.md §4).
struct gdpo_config {
  double w_correctness = 1.0;
  double w_format = 1.0;
  double w_length = 1.0;
  double length_threshold = 2000.0;  ///< length component: 1[correct and L <= threshold]
  double whiten_epsilon = 1e-8;
};

/// DAPO's rule reward and overlong penalty (spec/baselines.md §11).
struct dapo_config {
  dapo_overlong_config overlong;
  double r_correct = 1.0;  ///< DAPO's rule-based reward: +1 correct, -1 otherwise
  double r_wrong = -1.0;
};

/// The method name and the parameters of every method; only the selected method's
/// parameters are read.
struct estimator_config {
  std::string name = "lead";
  lead_config lead;
  double grpo_epsilon = 1e-6;  ///< every GRPO-based baseline
  arora_zanette_config arora_zanette;
  threshold_reward_config threshold;  ///< lead_repo_grpo (keys algorithm.threshold_*)
  gdpo_config gdpo;
  double kimi_weight = 1.0;
  l1_config l1;
  double thinkprune_limit = 4000.0;
  shorterbetter_config shorterbetter;
  hapo_config hapo;  ///< its grpo_epsilon is replaced by estimator_config::grpo_epsilon
  dapo_config dapo;
  double o1_pruner_lambda = 2.0;
  laser_config laser;
};

/// Per-rollout inputs some baselines need beyond the rollout batch; each vector is
/// either empty or has one entry per rollout.
struct estimator_inputs {
  std::vector<double> n_gold;             ///< l1_exact, l1_max: token budget in the prompt
  std::vector<double> estimated_length;   ///< lead_repo_grpo: chars/4; empty -> lengths
  std::vector<double> ref_mean_length;    ///< o1_pruner: reference model's mean length
  std::vector<double> ref_mean_accuracy;  ///< o1_pruner: reference model's accuracy in [0, 1]
};

/// Everything an estimator carries from one step to the next; snapshot all of it.
struct estimator_state {
  lead_state lead;                  ///< PSI EMA weights, initialized, step count
  length_target_table lstar_table;  ///< LEAD's per-prompt length targets (visits recorded
                                    ///< in both modes; read in table mode)
  hapo_history hapo;                ///< HAPO's per-prompt history
};

/// A fresh state for `config`: the length-target table is built for config.lead's
/// aggregator and history.
estimator_state make_estimator_state(const estimator_config& config);

/// The result of one step: everything the controller needs from any estimator.
struct estimator_output {
  std::vector<double> advantages;  ///< final per-rollout advantage (broadcast to its tokens)
  /// Per-rollout scalar reward the advantage was computed from; empty for the
  /// multi-reward methods (lead, gdpo), which have no single reward.
  std::vector<double> rewards;
  /// The weights of the correctness and efficiency advantages (LEAD's PSI weights, after
  /// the floor or the static pair); (1, 0) for the methods with one reward.
  double w_corr = 1.0;
  double w_eff = 0.0;
  /// LEAD: the batch's prompts in first-seen order and their L*_q; empty otherwise.
  std::vector<std::int64_t> lstar_prompt_ids;
  std::vector<double> lstar;
  /// Every method: "advantage/{mean,std,min,max}" and "reward/correctness/{...}" (the
  /// score); single-reward methods also "reward/{...}" of `rewards`; lead also
  /// "reward/efficiency/{...}" (R_eff of the correct rollouts) and the lead/* metrics of
  /// spec/lead.md §9.1; other methods their "<method>/*".
  std::map<std::string, double> metrics;
};

/// Every accepted name, canonical names first, then aliases ("arora").
const std::vector<std::string>& estimator_names();

/// The canonical name of `name` (an alias maps to its target). Fails on an unknown
/// name with a message that lists every valid name.
result<std::string> canonical_estimator_name(const std::string& name);

/// Runs the estimator `config.name` on `batch`. On success advances `state` where the
/// method keeps state (lead, hapo); on failure `state` is unchanged. Fails on: an unknown
/// name (the message lists every valid name); an invalid batch (lead::validate); a
/// missing or mis-sized required extra input (naming the field); a bad parameter; and
/// each method's own failures (e.g. arora_zanette on a group of one rollout, whitening
/// of <= 1 token).
result<estimator_output> compute_advantages(const estimator_config& config,
                                            const rollout_batch& batch, estimator_state& state,
                                            const estimator_inputs& inputs = {});

/// Same, with `name` selecting the method instead of config.name.
result<estimator_output> compute_advantages(const std::string& name, const estimator_config& config,
                                            const rollout_batch& batch, estimator_state& state,
                                            const estimator_inputs& inputs = {});

}  // namespace leadrl::lead
