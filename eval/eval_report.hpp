// File: eval/eval_report.hpp
//
// The result table of `leadrl eval` from per-sample grades, without a model: pass@1 over n
// samples per problem, mean response length (tokens), truncated answers and the
// Accuracy-Efficiency Score against a base model (lead/eval_metrics) — one evaluated in
// the same run or one read from an earlier run's results file (base_results) — per model
// x dataset plus, when there are two or more datasets, an "average" row per model (the
// unweighted mean over datasets). Rendered as a markdown table and as CSV; the CSV reads
// back (parse_eval_csv) for `leadrl plot`. eval/paper_table lays it out as the paper's
// Table 1, eval/results_file writes it as JSON.
//
//   std::vector<eval::eval_samples> runs = ...;   // one per (model, dataset)
//   auto rows = eval::eval_table(runs, "base");
//   std::cout << eval::eval_markdown(*rows);
//   std::ofstream("eval.csv") << eval::eval_csv(*rows);
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::eval {

/// The graded samples of one model on one dataset: one entry per sample, grouped into
/// problems by `problem_ids` (a score > 0.5 is correct; lengths in tokens).
struct eval_samples {
  std::string model;
  std::string dataset;
  std::vector<lead::prompt_id> problem_ids;
  std::vector<double> correctness;
  std::vector<double> lengths;
  std::size_t truncated = 0;  ///< answers cut by the token limit
  /// The decoded answers (EOS removed), one per sample, when the evaluation kept them
  /// (eval_sampling::keep_responses); empty otherwise. eval/eval_shards does not join them
  /// across ranks: analyses that read them run on one rank.
  std::vector<std::string> responses = {};
};

/// The dataset name of the per-model average rows.
inline constexpr const char* eval_average_dataset = "average";

/// One row of the table.
struct eval_row {
  std::string model;
  std::string dataset;                  ///< or eval_average_dataset
  std::size_t problems = 0;             ///< summed over datasets on average rows
  std::size_t samples_per_problem = 0;  ///< n (the largest count over problems)
  double pass_at_1 = 0.0;               ///< fraction in [0, 1]
  double mean_length = 0.0;             ///< tokens per sample
  std::size_t truncated = 0;            ///< answers cut by the token limit (summed on averages)
  /// AES (lead::aes, formula variant, constants 1/3/5) against the base model on the same
  /// dataset; on average rows the mean over datasets. Absent when the base pass@1 is 0 and
  /// this row's is not (the relative accuracy gain is unbounded) on that dataset (or on
  /// any, for averages); both 0 counts as no accuracy change.
  std::optional<double> aes;
  double acc_delta = 0.0;  ///< pass@1 - base pass@1 (absolute, fraction)
  double len_delta = 0.0;  ///< (mean_length - base mean_length) / base mean_length
};

/// What AES and the deltas compare against: the base model's row per dataset, evaluated
/// in this run (evaluated_base) or read from an earlier run's results file
/// (eval/results_file.hpp).
struct base_results {
  std::string model;
  std::string source;          ///< empty: evaluated in this run; else the results file
  std::vector<eval_row> rows;  ///< one per dataset (no average row)
};

/// The table: every run summarised (lead::summarize_dataset), rows in the order of the
/// models' first appearance, then datasets in order of first appearance, with each model's
/// average row after its datasets when there are >= 2 datasets.
/// Fails (naming the model and dataset) when: `runs` is empty; a run's vectors are empty or
/// of different sizes or hold a non-finite value; a (model, dataset) pair appears twice;
/// `base_model` has no runs; a model lacks a dataset that another model has.
result<std::vector<eval_row>> eval_table(const std::vector<eval_samples>& runs,
                                         const std::string& base_model);

/// The same table against a base read from a results file: every evaluated model
/// (`base.model` may be one of them or not) compared with `base.rows` per dataset.
/// Fails like eval_table above, and, naming `base.source`, when `base` lacks a dataset.
result<std::vector<eval_row>> eval_table(const std::vector<eval_samples>& runs,
                                         const base_results& base);

/// The dataset rows of `model` in `rows` (average row left out), as a base evaluated in
/// this run (empty source).
base_results evaluated_base(const std::vector<eval_row>& rows, const std::string& model);

/// The base's own rows for `datasets`, in that order, compared with themselves (deltas 0,
/// AES 0 where defined), plus their average row when there are >= 2: the base's line of
/// the paper's table when it was read from a file. Fails, naming the base, when a dataset
/// is missing or `datasets` is empty.
result<std::vector<eval_row>> base_rows(const base_results& base,
                                        const std::vector<std::string>& datasets);

/// A GitHub-flavoured markdown table: model | dataset | n | problems | pass@1 (%) |
/// mean length | AES | Δacc (pts) | Δlen (%) | cut (answers truncated); an absent AES reads
/// "n/a".
std::string eval_markdown(const std::vector<eval_row>& rows);

/// CSV with the header
/// model,dataset,n,problems,pass_at_1,mean_length,aes,acc_delta,len_delta
/// (fractions as fractions; an absent AES is an empty field; names quoted when they hold a
/// comma, quote or newline).
std::string eval_csv(const std::vector<eval_row>& rows);

/// Reads eval_csv() output back. Fails, naming the line, on a wrong header, a wrong field
/// count, an unterminated quote or a field that is not a number where one is expected.
result<std::vector<eval_row>> parse_eval_csv(std::string_view text);

}  // namespace leadrl::eval
