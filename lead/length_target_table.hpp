// File: lead/length_target_table.hpp
//
// The per-prompt length-target table the controller owns (ARCHITECTURE.md §3). It keys
// prompts by their dataset row id and keeps, per prompt, a fixed-size record that carries
// what its correct rollouts taught across steps and epochs. Two modes decide what L*_q a
// step uses:
//
//   group  the reference (spec/lead.md §3): L*_q from this step's rollouts only; the table
//          still records every visit, so it can be inspected and switched to table mode.
//   table  ours: L*_q from the persistent estimate, which includes this step's rollouts.
//
// Update rule (one visit of prompt q at step s; V = this step's lengths that enter the
// aggregate: correct rollouts, or all rollouts for mean_all; H = `history`):
//
//   mean_correct, mean_all  count-capped running mean. With m the stored mean and c the
//       number of values it summarises, the new mean is (min(c, H)*m + sum V)/(min(c, H) + |V|):
//       history weighs at most H rollouts, so after a few visits it is an EMA whose step
//       weight is |V|/(H + |V|), and on the first visit it is exactly the group mean.
//   min_correct, median_correct  a window of the last H aggregated lengths (oldest first).
//       L*_q is the min / median of (window + V); afterwards V is appended and the oldest
//       values beyond H are dropped. On the first visit this is exactly the group value.
//
//   Then L*_q = clamp(raw) with the bmax cut first and the floor second, as in §3. A prompt
//   with nothing aggregated in any visit (never solved, *_correct aggregators) gets bmax
//   without the floor; one with nothing this step but a history gets the history's value
//   (source `carried`). Each record is a fixed size (a few counters, one mean, H window
//   slots for min/median), so memory is bounded per prompt by H.
//
// Updates are two-phase so that a failing step changes nothing: plan() computes the new
// records and this step's targets, commit() stores them.
//
//   lead::length_target_table table(lead::length_aggregator::mean_correct, 32);
//   auto plan = table.plan(batch.lengths, is_correct, groups, options, step);  // then commit
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "lead/length_target.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// Which L*_q a step uses (see the file comment).
enum class length_target_mode {
  group,  ///< this step's group only (the reference)
  table,  ///< the persistent per-prompt estimate
};

/// "group" or "table".
const char* to_string(length_target_mode m);

/// Parses a table mode name. Fails on any other string, listing the valid names.
result<length_target_mode> parse_length_target_mode(std::string_view name);

/// The table as plain column vectors, one entry per prompt (row) in every per-row column;
/// what a snapshot stores and restore() reads back.
struct length_table_rows {
  length_aggregator aggregator = length_aggregator::mean_correct;
  std::int64_t history = 32;  ///< H of the update rule
  std::vector<prompt_id> prompt_ids;
  std::vector<double> lstar;               ///< L*_q applied at the prompt's last visit
  std::vector<std::int64_t> n_correct;     ///< correct rollouts over all visits
  std::vector<std::int64_t> n_rollouts;    ///< rollouts over all visits
  std::vector<std::int64_t> visits;        ///< steps in which the prompt appeared
  std::vector<std::int64_t> last_step;     ///< LEAD step of the last visit
  std::vector<double> mean_length;         ///< mean aggregators: running mean (0 if none yet)
  std::vector<std::int64_t> window_count;  ///< min/median: filled window slots (<= history)
  /// min/median: rows x history lengths, row-major, oldest first, unused slots 0;
  /// empty for the mean aggregators.
  std::vector<double> window;

  std::size_t size() const { return prompt_ids.size(); }
};

/// The table's answer for one step: the targets of its groups and the records to store.
struct length_target_plan {
  std::vector<length_target> targets;  ///< table-mode L*_q per group, in group order
  /// New records of this step's prompts, one row per group in group order. Their lstar
  /// column is what commit() stores as "applied"; group mode overwrites it with the group value.
  length_table_rows updated;
};

/// Persistent per-prompt length targets (see the file comment for the update rule).
class length_target_table {
 public:
  /// An empty table for `aggregator` with history H = `history` (clamped to >= 1).
  explicit length_target_table(length_aggregator aggregator = length_aggregator::mean_correct,
                               std::size_t history = 32);

  length_aggregator aggregator() const { return rows_.aggregator; }
  std::size_t history() const { return static_cast<std::size_t>(rows_.history); }
  std::size_t size() const { return rows_.size(); }
  bool contains(prompt_id id) const { return row_of_.count(id) != 0; }

  /// Computes this step's table-mode targets and the updated records without changing
  /// the table. `step` is stored as last_step. Fails if `options.aggregator` differs from
  /// the table's aggregator, or if the sizes of lengths/is_correct do not match `groups`.
  result<length_target_plan> plan(const std::vector<double>& lengths,
                                  const std::vector<bool>& is_correct, const group_index& groups,
                                  const length_target_options& options, std::int64_t step) const;

  /// Stores the records of a plan made by this table (and not invalidated by another commit).
  void commit(length_target_plan&& plan);

  /// The whole table as plain vectors, rows in insertion order.
  const length_table_rows& rows() const { return rows_; }

  /// Replaces the table with `rows`. Fails, leaving the table unchanged, if the columns have
  /// different lengths, history < 1, a prompt id repeats, a count is negative or
  /// inconsistent (n_correct > n_rollouts, window_count > history), the window size is not
  /// rows x history (min/median) or 0 (mean), or a length is not finite and > 0.
  status restore(length_table_rows rows);

 private:
  length_table_rows rows_;
  std::unordered_map<prompt_id, std::size_t> row_of_;
};

}  // namespace leadrl::lead
