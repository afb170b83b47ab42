// File: actors/run_state.hpp
//
// The mapping between the controller's state and a snapshot (ARCHITECTURE.md §5), as
// plain functions so that the actors stay thin and the round trip is testable without
// actors, ranks or a model: the data sampler, the estimator state (PSI, the length-target
// table with every column its update rule needs, HAPO's history), the metrics history
// (one column per metric, one row per step), when a snapshot is due, the snapshot /meta,
// which config keys may change between attempts of one run, how per-rank counters map onto
// a different number of ranks, and the metrics log kept consistent with the snapshot a
// run resumes from.
//
//   io::controller_state c = actors::export_controller_state(sampler, estimator, history);
//   ... write, read back ...
//   if (auto s = actors::import_controller_state(c, sampler, estimator, history); !s) die(s);
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "io/data_sampler.hpp"
#include "io/snapshot.hpp"
#include "io/train_options.hpp"
#include "lead/estimator.hpp"

namespace leadrl::actors {

/// Metric name -> one value per step, rows in step order; the column "step" holds the
/// step numbers, a metric absent in a step is NaN there.
using metrics_history = std::map<std::string, std::vector<double>>;

/// Appends the row of `step` to `history` (new metrics get NaN in earlier rows, metrics
/// missing from `metrics` get NaN in this row).
void append_metrics(metrics_history& history, std::int64_t step,
                    const std::map<std::string, double>& metrics);

/// True when the end of `step` is a snapshot point: save_freq > 0 and step is a multiple
/// of save_freq or the last step (total_steps).
bool snapshot_due(const io::trainer_options& trainer, std::int64_t step);

/// Config keys whose values may differ between a run and its resumption, because they do
/// not change what is computed: trainer.total_steps (a run may be extended; with
/// actor.lr_schedule=cosine the remaining decay then follows the new total, as in verl),
/// where and how often snapshots are written, logging and progress, the non-finite stop
/// limit (trainer.max_nonfinite_steps: raised to continue a stopped run), and the runtime's
/// thread count, timeouts and checksum frequency. Every other key must be equal.
const std::vector<std::string>& resume_ignored_keys();

/// The length-target table as snapshot columns: prompt_id, lstar, n_correct, last_step,
/// extra int64 columns n_rollouts, visits, window_count, extra double columns mean_length
/// and window (rows x history, row-major), settings aggregator (text) and history.
io::length_table_snapshot to_snapshot(const lead::length_table_rows& rows);
/// Inverse of to_snapshot. Fails naming a missing column or setting, an unknown
/// aggregator, or a column whose length differs from prompt_id's.
result<lead::length_table_rows> length_table_from_snapshot(const io::length_table_snapshot& s);

/// PSI state: ema_weights has 0 (no vector yet) or 2 entries.
io::psi_snapshot to_snapshot(const lead::lead_state& state);
/// Fails when ema_weights has neither 0 nor 2 entries or step_count < 0.
result<lead::lead_state> psi_from_snapshot(const io::psi_snapshot& s);

/// HAPO's history as prompt-id-sorted columns.
io::hapo_snapshot to_snapshot(const lead::hapo_history& history);
/// Fails as lead::hapo_history::from_columns does.
result<lead::hapo_history> hapo_from_snapshot(const io::hapo_snapshot& s);

/// /controller of a snapshot: sampler {epoch, cursor, order}, the estimator state and the
/// metrics history.
io::controller_state export_controller_state(const io::data_sampler& sampler,
                                             const lead::estimator_state& estimator,
                                             const metrics_history& history);

/// The counters of rank `rank` of a run of `world_size` ranks that resumes from a snapshot
/// written by `old.size()` ranks (a resize; at the same size this is `old[rank]`). Old rank
/// k folds into new rank k mod world_size: run totals (generated_tokens and every double
/// counter, the seconds) are summed, so the sum over ranks stays the run's total; the other
/// int64 counters (policy version, optimizer step, parameter checksum) are equal on every
/// rank of a consistent snapshot and are taken as they are. A new rank that no old rank
/// folds into takes those from old rank 0 and starts its totals at zero. Fails, naming the
/// counter, when old ranks disagree on one of them, and when `old` is empty.
result<io::rank_state> fold_rank_states(const std::vector<io::rank_state>& old, int rank,
                                        int world_size);

/// Restores the controller from /controller. `sampler` must be built for the run (dataset
/// size, batch, seed); the stored order must equal the one it derives for the stored
/// epoch (else the dataset or seed changed). All or nothing: fails, changing nothing,
/// when the order differs, the cursor is outside the epoch, a table/PSI/HAPO column is
/// invalid (lead::length_target_table::restore's checks), the table's aggregator or
/// history differs from `estimator`'s, or the metrics columns differ in length.
status import_controller_state(const io::controller_state& state, io::data_sampler& sampler,
                               lead::estimator_state& estimator, metrics_history& history);

/// /meta for the end of `step`: policy_version = step, the world size, the config text,
/// the seed, this build's version and the current UTC time.
io::snapshot_meta make_snapshot_meta(const io::train_options& options, std::int64_t step,
                                     int world_size);

/// Keeps the lines of the metrics log `path` whose "step" is <= `step` (the steps a
/// resumed run does not repeat) and drops later ones, which the resumed run writes
/// again; the file is replaced atomically. A missing file is fine (nothing to keep).
/// Fails when the file cannot be read or rewritten.
status keep_metrics_log_through(const std::string& path, std::int64_t step);

}  // namespace leadrl::actors
