// File: io/snapshot_report.hpp
//
// What `leadrl inspect` shows of a snapshot (ARCHITECTURE.md §5): /meta, the PSI state,
// a summary of the length-target table (rows, L* percentiles, the prompts with the
// largest and smallest L*), the metrics history and every learner tensor with its dtype,
// shape and L2 norm (and its Adam moments' norms). The report is built once as JSON; the
// text form is printed from that JSON, so both always say the same.
//
//   auto snap = io::read_valid_snapshot("run/snapshots/step_000120.h5");
//   if (snap) std::cout << io::format_snapshot_report(io::snapshot_report(*snap, {}), {});
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "io/snapshot.hpp"

namespace leadrl::io {

/// What the report includes beyond the summary.
struct snapshot_report_options {
  bool whole_table = false;   ///< every row and column of the length table
  bool whole_config = false;  ///< the text form prints /meta/config_text in full
  std::size_t extremes = 5;   ///< prompts listed with the largest and the smallest L*
};

/// Validates `path` (io::validate_snapshot: HDF5, every checksum, /meta) and reads it.
/// Fails with a message that starts with `path` when the file is missing, not HDF5,
/// truncated, corrupt (the dataset named) or not a leadrl snapshot.
result<snapshot> read_valid_snapshot(const std::string& path);

/// The report of `s` as JSON (keys: meta, sampler, psi, length_table, metrics, learner,
/// ranks). Percentiles of L* interpolate linearly between order statistics over the
/// finite L* values (numpy's default); a NaN or infinite L* counts as "no L*". Norms are
/// computed from the tensors' bytes in double. Never fails: a malformed tensor (bytes not
/// matching its shape) is reported with an "error" entry instead of its norm.
nlohmann::json snapshot_report(const snapshot& s, const snapshot_report_options& options);

/// The human-readable form of a snapshot_report() result.
std::string format_snapshot_report(const nlohmann::json& report,
                                   const snapshot_report_options& options);

/// The p-th percentile (p in [0, 100]) of `sorted` (ascending, non-empty) with linear
/// interpolation between order statistics.
double percentile_of_sorted(const std::vector<double>& sorted, double p);

}  // namespace leadrl::io
