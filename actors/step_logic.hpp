// File: actors/step_logic.hpp
//
// The controller's step logic as pure functions (ARCHITECTURE.md §4), so it can be tested
// without actors, ranks or a model: sharding a step's prompts into whole groups per rank,
// assembling the global rollout batch from every rank's scored_rollouts in rank order,
// running the selected estimator, splitting the advantages back into one step_plan per
// rank, and aggregating the step's metrics. Also the per-rollout seed and the mini-batch
// of a prompt, which every rank derives alone so the result does not depend on the number
// of ranks.
//
//   auto batch = actors::assemble_batch(by_rank, step).value();
//   auto plans = actors::make_step_plans(batch, *lead::compute_advantages(cfg, batch.batch,
//   state));
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "base/result.hpp"
#include "lead/estimator.hpp"

namespace leadrl::actors {

/// [begin, end) of rank `rank`'s share of `num_prompts` prompts over `world_size` ranks:
/// contiguous, whole prompts (so whole groups), the first num_prompts % world_size ranks
/// one prompt more. Ranks beyond num_prompts get an empty share.
std::pair<std::int64_t, std::int64_t> shard_range(std::int64_t num_prompts, int world_size,
                                                  int rank);

/// The step's prompt ids split by shard_range, one vector per rank.
std::vector<std::vector<std::int64_t>> shard_prompts(const std::vector<std::int64_t>& prompt_ids,
                                                     int world_size);

/// One rank's rows of one mini-batch cut into micro-batches (indices into `rows`' values,
/// i.e. the row ids themselves). `lengths[i]` is row i's padded cost (prompt + response
/// tokens), indexed by row id. Fixed: runs of `micro_batch_size` rows in order. Dynamic:
/// the rows sorted by length, longest first (ties in row order), cut greedily so that
/// rows x longest row <= max_tokens per micro-batch; a row longer than max_tokens gets a
/// micro-batch of its own. Either way every row appears exactly once.
std::vector<std::vector<std::size_t>> cut_micro_batches(const std::vector<std::size_t>& rows,
                                                        const std::vector<std::int64_t>& lengths,
                                                        std::int64_t micro_batch_size, bool dynamic,
                                                        std::int64_t max_tokens);

/// The optimizer step (mini-batch) a prompt belongs to: its position in the step's batch
/// divided by the mini-batch size, as the reference takes mini-batches in order.
std::int64_t minibatch_of(std::int64_t batch_position, std::int64_t ppo_mini_batch_size);

/// The policy version whose weights generate the rollouts of `step` (1-based) with
/// rollout.staleness = k: step - 1 - k, i.e. the weights after step - 1 - k updates (k = 0:
/// those of the step before, the synchronous step), but never older than the last step
/// before `step` at which a snapshot is due (a multiple of `save_freq` when it is > 0) nor
/// `resumed_step`. So every snapshot is a barrier of the pipeline: the steps after it are
/// generated from weights the snapshot holds, and a run resumed from it continues as the
/// uninterrupted one. The controller issues `step`'s generation once this version exists.
std::int64_t behaviour_version(std::int64_t step, std::int64_t staleness, std::int64_t save_freq,
                               std::int64_t resumed_step);

/// The global rollout batch of a step in rank order, and where each rank's rows are.
struct assembled_batch {
  std::int64_t step = 0;
  lead::rollout_batch batch;
  std::vector<std::int32_t> rollout_idx;  ///< per row
  std::vector<std::size_t> rank_offsets;  ///< rank r's rows are [offsets[r], offsets[r+1])
  /// Per row: 1 when the answer skips steps (scored_rollouts::skipped), 0 when not or not
  /// reported by its rank; empty when no rank reported skips.
  std::vector<std::uint8_t> skipped;
  bool counts_skips = false;  ///< some rank reported skips
};

/// Concatenates `by_rank[r]` for r = 0..n-1. Fails when a report is for another step or
/// from another rank than its index, its arrays differ in size, or the batch is empty.
result<assembled_batch> assemble_batch(const std::vector<scored_rollouts>& by_rank,
                                       std::int64_t step);

/// One step_plan per rank: the shared weights and L*, and each rank's advantages in the
/// order of its scored_rollouts.
std::vector<step_plan> make_step_plans(const assembled_batch& batch,
                                       const lead::estimator_output& adv);

/// Wall-clock seconds of the phases of one step.
struct step_timings {
  double gen = 0, grade = 0, adv = 0, train = 0, step = 0;
  double controller = 0;  ///< time the controller itself was busy (assembly, estimator, logging)
};

/// The step's metrics: every estimator metric, accuracy, mean/max/min response length,
/// truncation ratio, the learners' metrics (summed "actor/*" over ranks as sent, checked
/// equal "params/checksum"), timings ("timing/*") and throughput. Fails when the learners
/// report different parameter checksums (the replicas diverged).
result<std::map<std::string, double>> step_metrics(const assembled_batch& batch,
                                                   const lead::estimator_output& adv,
                                                   const std::vector<trained>& by_rank,
                                                   const step_timings& timings);

/// The built-in arithmetic task's metrics per level d of the batch (`prompt_levels[id]` is
/// prompt id's level; ids outside it or at level 0 are left out): "level<d>/rollouts",
/// "level<d>/accuracy", "level<d>/length" (mean tokens), "level<d>/skip_rate" (when skips
/// were reported) and "level<d>/lstar_mean" (LEAD: the mean L* of the level's prompts
/// whose L* is below `unsolved_lstar`, i.e. solved ones). Levels without rollouts are
/// absent; an empty `prompt_levels` gives no metrics.
std::map<std::string, double> level_metrics(const assembled_batch& batch,
                                            const lead::estimator_output& adv,
                                            const std::vector<int>& prompt_levels,
                                            double unsolved_lstar);

/// data.arith_curriculum_step = `switch_step` (0: no curriculum): whether step `step` draws
/// its prompts from the curriculum's easy prompts (steps 0..switch_step; step 0 is the
/// start, before any step).
bool in_curriculum(std::int64_t step, std::int64_t switch_step);

/// The prompt ids whose level is 1..max_level, in id order (`prompt_levels` by id).
std::vector<std::int64_t> curriculum_prompts(const std::vector<int>& prompt_levels, int max_level);

/// One JSON object (a line, no newline) of `metrics` with "step".
std::string metrics_json_line(std::int64_t step, const std::map<std::string, double>& metrics);

/// One (step, rank) at which a test poisons a rank's gradients (LEADRL_INJECT_NONFINITE).
struct nonfinite_injection {
  std::int64_t step = 0;
  int rank = 0;
  bool operator==(const nonfinite_injection& o) const { return step == o.step && rank == o.rank; }
};

/// Test-only: parses the value of the environment variable LEADRL_INJECT_NONFINITE,
/// "STEP:RANK[,STEP:RANK...]" (e.g. "3:1,4:1"; "" = none), with which the learner of rank
/// RANK puts a NaN into its gradients in every update of step STEP, to test that non-finite
/// steps are skipped on every rank together. Fails, quoting the text, on anything else
/// (a step < 1, a rank < 0, a missing number).
result<std::vector<nonfinite_injection>> parse_nonfinite_injection(const std::string& text);

/// "step k/N | ETA 1m23s | acc 0.625 | len 31.2 | w_corr 0.700" for the terminal.
std::string progress_line(std::int64_t step, std::int64_t total_steps, double elapsed_s,
                          const std::map<std::string, double>& metrics);

}  // namespace leadrl::actors
