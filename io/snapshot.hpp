// File: io/snapshot.hpp
//
// The state of a run at a step boundary as plain C++ structs, and its HDF5 layout
// (ARCHITECTURE.md §5):
//   /meta        step, policy_version, world_size, config_text, seed, version, time
//   /controller  sampler/{epoch, cursor, order}
//                length_table/{prompt_id, lstar, n_correct, last_step, <extra columns>}
//                psi/{ema_weights, initialized, step_count}
//                hapo/{prompt_id, h, n_correct}  (HAPO's history; empty for other methods)
//                metrics/<name>  (one double column per metric)
//   /learner     params/<HF name> (dtype kept), optimizer/<HF name>/{exp_avg, exp_avg_sq},
//                optimizer_step, lr_schedule_position
//   /ranks/<r>/<counter>  (int64 or double)
// Each part can be written into / read from an open hdf5_file on its own, so that each
// actor owns its group; write_snapshot/read_snapshot do the whole file.
//
//   io::snapshot s; s.meta.step = 120; s.meta.world_size = 1;
//   if (auto st = io::write_snapshot("step_000120.h5", s); !st) log(st.error().message());
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "io/hdf5_file.hpp"
#include "io/tensor_blob.hpp"

namespace leadrl::io {

/// Version of the layout above, stored as the root attribute `leadrl_snapshot_format`.
inline constexpr std::int64_t snapshot_format_version = 1;

/// /meta: who wrote the snapshot and for which run.
struct snapshot_meta {
  std::int64_t step = 0;
  std::int64_t policy_version = 0;
  std::int64_t world_size = 1;
  std::string config_text;  ///< the effective configuration (io::config::text())
  std::uint64_t seed = 0;
  std::string version;  ///< leadrl version that wrote the file
  std::string time;     ///< UTC wall time of writing, ISO 8601
};

/// The data sampler: epoch, position in the epoch's order, and that order (the order is
/// derivable from the seed; it is kept for inspection and to check a resumed sampler).
struct sampler_snapshot {
  std::int64_t epoch = 0;
  std::int64_t cursor = 0;
  std::vector<std::int64_t> order;  ///< prompt ids in this epoch's order
};

/// The per-prompt length-target table L*_q (spec/lead.md §4), one row per prompt; the
/// columns of lead::length_table_rows map onto it one to one.
struct length_table_snapshot {
  std::vector<std::int64_t> prompt_id;
  std::vector<double> lstar;
  std::vector<std::int64_t> n_correct;
  std::vector<std::int64_t> last_step;
  /// Further columns by name (e.g. "mean_length", "visits"). Usually one entry per row; a
  /// flattened rows x k column (e.g. a length window) is allowed, so lengths are not checked.
  std::map<std::string, std::vector<double>> extra_double_columns;
  std::map<std::string, std::vector<std::int64_t>> extra_int64_columns;
  /// Table settings (e.g. "aggregator", "history"), stored as attributes of the group.
  std::map<std::string, std::string> string_settings;
  std::map<std::string, std::int64_t> int64_settings;
};

/// PSI controller state (spec/lead.md §6): EMA-smoothed reward weights.
struct psi_snapshot {
  std::vector<double> ema_weights;  ///< empty before the first step
  bool initialized = false;
  std::int64_t step_count = 0;
};

/// HAPO's per-prompt history (spec/baselines.md §10), one row per prompt; empty for every
/// other estimator. Absent in a file means empty.
struct hapo_snapshot {
  std::vector<std::int64_t> prompt_id;
  std::vector<double> h;
  std::vector<std::int64_t> n_correct;
};

/// /controller.
struct controller_state {
  sampler_snapshot sampler;
  length_table_snapshot length_table;
  psi_snapshot psi;
  hapo_snapshot hapo;
  /// Metrics history: one column per metric name (e.g. "lead/w_corr"), one row per step.
  std::map<std::string, std::vector<double>> metrics_history;
};

/// Adam moments of one parameter.
struct adam_moments {
  tensor_blob exp_avg;
  tensor_blob exp_avg_sq;
};

/// /learner: parameters by HF name and optimizer state by the same names.
struct learner_state {
  std::map<std::string, tensor_blob> params;
  std::map<std::string, adam_moments> optimizer;
  std::int64_t optimizer_step = 0;
  std::int64_t lr_schedule_position = 0;
};

/// /ranks/<r>: counters of one rank that cannot be derived from seeds.
struct rank_state {
  std::map<std::string, std::int64_t> int64_counters;
  std::map<std::string, double> double_counters;
};

/// A whole snapshot; `ranks[r]` is rank r (ranks.size() <= meta.world_size).
struct snapshot {
  snapshot_meta meta;
  controller_state controller;
  learner_state learner;
  std::vector<rank_state> ranks;
};

/// Writes /meta and the root format attribute. Fails on an HDF5 error (named).
status write_snapshot_meta(hdf5_file& file, const snapshot_meta& meta);
/// Reads /meta. Fails naming the first missing or mistyped entry.
result<snapshot_meta> read_snapshot_meta(const hdf5_file& file);

/// Writes /controller. Fails when length-table or HAPO columns differ in length (naming both),
/// when a name is not a valid HDF5 link name, or on an HDF5 error.
status write_controller_state(hdf5_file& file, const controller_state& state);
result<controller_state> read_controller_state(const hdf5_file& file);

/// Writes /learner. Fails when a tensor's bytes do not match its shape, a name contains
/// '/' or is empty, or on an HDF5 error.
status write_learner_state(hdf5_file& file, const learner_state& state);
result<learner_state> read_learner_state(const hdf5_file& file);
/// Resume path: reads /learner into the tensors of `state` in place (no allocation), e.g.
/// after the model has built its parameters. Fails, naming the tensor, when the file's
/// parameter or optimizer names differ from those in `state`, or a dtype or shape differs;
/// `state` may then be partly overwritten.
status read_learner_state_into(const hdf5_file& file, learner_state& state);

/// Writes /ranks/<rank>. Fails when a counter name is used twice or on an HDF5 error.
status write_rank_state(hdf5_file& file, std::int64_t rank, const rank_state& state);
result<rank_state> read_rank_state(const hdf5_file& file, std::int64_t rank);

/// Writes the whole snapshot to `path` (truncating it). Fails when ranks.size() exceeds
/// meta.world_size, or as the part writers do; a failed write may leave a partial file.
/// Bytes a file of `s` takes, about (its tensors plus a margin for the rest): the free
/// space snapshot_store::write asks for before writing.
std::size_t snapshot_bytes_estimate(const snapshot& s);

status write_snapshot(const std::string& path, const snapshot& s,
                      const hdf5_write_options& options = {});
/// Reads a whole snapshot. Fails when the file is not a leadrl snapshot of a known
/// format version, or naming the first entry that is missing, mistyped or corrupt.
result<snapshot> read_snapshot(const std::string& path);

}  // namespace leadrl::io
