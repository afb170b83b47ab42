// File: eval/results_file.hpp
//
// The JSON results file of `leadrl eval --out-json`: the sampling settings and seed, the
// benchmarks with their n, the base model's per-benchmark accuracy and length, and per
// model per benchmark n, problems, accuracy (pass@1, a fraction), mean length (tokens),
// truncated answers, AES and deltas against the base, plus each model's average. Read back
// by `--base-results`, so that a later run compares its models with a base evaluated once.
//
//   std::ofstream("base.json") << eval::results_json(rows, eval::evaluated_base(rows, "base"),
//   settings); auto base = eval::load_base_results("base.json");   // base->base.rows: one per
//   benchmark
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "eval/eval_report.hpp"

namespace leadrl::eval {

/// What an evaluation ran with, as the results file records it.
struct eval_settings {
  std::string protocol = "custom";  ///< "paper" for --protocol paper
  double temperature = 0.8;
  double top_p = 0.9;
  std::int64_t max_new_tokens = 1024;
  std::int64_t max_batch = 64;
  std::uint64_t seed = 1;
  std::uint64_t limit = 0;  ///< first N problems per set (0: all)
};

/// The results file's text (pretty-printed JSON, keys in a fixed order):
///   {"format": "leadrl-eval-results", "version": 1, "protocol", "sampling": {temperature,
///    top_p, max_new_tokens, max_batch, seed}, "limit", "benchmarks": [{name, n, problems}],
///    "base": {model, source, benchmarks: {NAME: {n, problems, accuracy, mean_length,
///    truncated}}}, "models": [{model, benchmarks: {NAME: {n, problems, accuracy,
///    mean_length, truncated, aes, acc_delta, len_delta}}, average: {...}}]}
/// (accuracy as a fraction; an absent AES is null; source is "this run" for a base
/// evaluated in the same run). `rows` is eval_table() output.
std::string results_json(const std::vector<eval_row>& rows, const base_results& base,
                         const eval_settings& settings);

/// A base read from a results file, with the settings that file records.
struct base_results_file {
  base_results base;          ///< source: the file's path
  eval_settings settings;     ///< defaults where the file has no "sampling"
  bool has_settings = false;  ///< the file has a "sampling" object
};

/// Reads a results file's "base" from `text` (`source` names it in errors and becomes
/// base.source). Needed: base.model (a string) and base.benchmarks, an object of at least
/// one benchmark with accuracy (a number in [0, 1]) and mean_length (a number > 0); n,
/// problems and truncated are optional counts. So a hand-written file with a paper's base
/// numbers works too. Fails, naming `source` and the key with what it expected, on text
/// that is not JSON or a missing or wrong entry.
result<base_results_file> read_base_results(std::string_view text, const std::string& source);

/// Why a base read from a file may not be comparable with this run, one note per
/// difference: a dataset measured at another n or on another number of problems (where
/// the file records them; `rows` is this run's eval_table() output), or another
/// temperature, top-p or token budget (where the file records its settings). Empty when
/// nothing differs.
std::vector<std::string> base_differences(const base_results_file& file,
                                          const std::vector<eval_row>& rows,
                                          const eval_settings& settings);

/// read_base_results() of the file at `path`; also fails, naming it, when it cannot be read.
result<base_results_file> load_base_results(const std::string& path);

}  // namespace leadrl::eval
