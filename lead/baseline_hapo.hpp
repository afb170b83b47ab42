// File: lead/baseline_hapo.hpp
//
// HAPO, the history-aware length reward (spec/baselines.md §10): each training problem
// remembers the shortest (or mean) correct length seen on earlier visits, and this
// step's rollouts are rewarded for beating it. The history is persistent controller
// state: bounded (one record per prompt), exportable as flat columns for snapshots.
//
//   lead::hapo_history history;
//   auto out = lead::hapo_step(batch.correctness, batch.lengths, groups, history, {});
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// What a prompt's history h remembers.
enum class hapo_history_mode {
  min,   ///< shortest correct length seen so far (the paper)
  mean,  ///< mean of all correct lengths seen so far
};

/// Parses "min" / "mean"; fails otherwise, listing both.
result<hapo_history_mode> parse_hapo_history_mode(const std::string& name);

struct hapo_config {
  double weight = 1.0;         ///< w in r = 1[c] + w*len; keep <= 1 so correct beats wrong
  double clip_correct = -0.7;  ///< lower clip of a correct row's length reward
  hapo_history_mode mode = hapo_history_mode::min;
  double grpo_epsilon = 1e-6;
};

/// One prompt's history: h and how many correct rollouts formed it.
struct hapo_record {
  double h = 0.0;
  std::int64_t n_correct = 0;
};

/// The history of every prompt seen with a correct rollout, keyed by prompt id.
class hapo_history {
 public:
  /// Flat, prompt-id-sorted columns: the snapshot form.
  struct columns {
    std::vector<prompt_id> prompt_ids;
    std::vector<double> h;
    std::vector<std::int64_t> n_correct;
  };

  /// h of `id`, or nothing if the prompt never had a correct rollout.
  std::optional<double> lookup(prompt_id id) const;
  std::size_t size() const { return records_.size(); }
  const std::unordered_map<prompt_id, hapo_record>& records() const { return records_; }

  /// Folds `count` correct lengths with minimum `shortest` and sum `sum` into `id`.
  void record(prompt_id id, double shortest, double sum, std::int64_t count,
              hapo_history_mode mode);

  columns to_columns() const;

  /// Rebuilds a history from columns. Fails on columns of different sizes, a duplicate
  /// prompt id, an h that is not a finite number >= 1, or n_correct < 1.
  static result<hapo_history> from_columns(const columns& c);

 private:
  std::unordered_map<prompt_id, hapo_record> records_;
};

/// Length reward of each row against the history at the start of the step:
/// f = cos(min(pi/2 * L/h, pi)); correct max(f, clip_correct), wrong min(f, 0); no
/// history 0. Fails on an empty batch, bad sizes or values.
result<std::vector<double>> hapo_length_rewards(const std::vector<double>& correctness,
                                                const std::vector<double>& lengths,
                                                const group_index& groups,
                                                const hapo_history& history,
                                                const hapo_config& config);

/// Folds this step's correct lengths into the history (after scoring, spec §10's
/// "score the whole group with the history from the start of the step, then update").
/// Fails like hapo_length_rewards, leaving the history unchanged.
status hapo_update(hapo_history& history, const std::vector<double>& correctness,
                   const std::vector<double>& lengths, const group_index& groups,
                   const hapo_config& config);

struct hapo_output {
  std::vector<double> len_rewards;  ///< per row
  std::vector<double> rewards;      ///< 1[c] + w*len
  std::vector<double> advantages;   ///< verl GRPO of rewards
};

/// One HAPO step: rewards from the current history, GRPO advantages, then the history
/// update. On failure the history is unchanged.
result<hapo_output> hapo_step(const std::vector<double>& correctness,
                              const std::vector<double>& lengths, const group_index& groups,
                              hapo_history& history, const hapo_config& config);

}  // namespace leadrl::lead
