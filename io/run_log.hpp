// File: io/run_log.hpp
//
// Reads a training metrics log (trainer.log_jsonl of `leadrl train`: one JSON object per
// step, {"step": k, "critic/accuracy": ..., ...}) into one (step, value) series per metric
// key, for `leadrl plot`. Values that are null or not numbers are left out of their series
// (the trainer writes null for a non-finite metric).
//
//   auto log = io::load_run_log("runs/lead/metrics.jsonl");
//   const auto& acc = log->series.at("critic/accuracy");   // [(1, 0.25), (2, 0.31), ...]
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace leadrl::io {

struct run_log {
  /// Metric key -> (step, value) in file order.
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  std::size_t steps = 0;  ///< lines read
};

/// Parses the text of a metrics log. Blank lines are skipped. Fails, naming the line, on a
/// line that is not a JSON object or lacks a numeric "step"; fails on a log without steps.
result<run_log> parse_run_log(std::string_view text);

/// Reads and parses `path`. Fails as parse_run_log, and when the file cannot be read
/// (errors are prefixed with the path).
result<run_log> load_run_log(const std::string& path);

}  // namespace leadrl::io
