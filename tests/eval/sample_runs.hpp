// File: tests/eval/sample_runs.hpp
//
// Synthetic graded runs shared by the eval report tests (eval_report, paper_table,
// results_file), with the values their hand computations start from.
//
//   auto rows = eval::eval_table(eval::two_models_two_datasets(), "base");
//   auto vs_file = eval::eval_table(eval::model_m_runs(), eval::file_base());
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "eval/eval_report.hpp"

namespace leadrl::eval {

inline eval_samples graded_run(std::string model, std::string dataset,
                               std::vector<lead::prompt_id> ids, std::vector<double> correct,
                               std::vector<double> lengths) {
  return {std::move(model), std::move(dataset), std::move(ids), std::move(correct),
          std::move(lengths)};
}

// base/d1: problem 0 {1, 0} lengths {10, 20}, problem 1 {1, 1} {30, 40}: pass@1 0.75, len 25.
// m/d1:    problem 0 {1, 1} {5, 5},          problem 1 {0, 1} {10, 20}: pass@1 0.75, len 10.
// base/d2: problem 0 {1, 1} {8, 12}: pass@1 1, len 10.   m/d2: {0, 1} {4, 6}: 0.5, len 5.
inline std::vector<eval_samples> two_models_two_datasets() {
  return {graded_run("base", "d1", {0, 0, 1, 1}, {1, 0, 1, 1}, {10, 20, 30, 40}),
          graded_run("base", "d2", {0, 0}, {1, 1}, {8, 12}),
          graded_run("m", "d1", {0, 0, 1, 1}, {1, 1, 0, 1}, {5, 5, 10, 20}),
          graded_run("m", "d2", {0, 0}, {0, 1}, {4, 6})};
}

// A base read from a file: d1 pass@1 0.5, length 20; d2 pass@1 1, length 10.
inline base_results file_base() {
  eval_row d1, d2;
  d1.model = d2.model = "ref";
  d1.dataset = "d1";
  d1.pass_at_1 = 0.5;
  d1.mean_length = 20;
  d2.dataset = "d2";
  d2.pass_at_1 = 1.0;
  d2.mean_length = 10;
  d1.samples_per_problem = d2.samples_per_problem = 2;
  return {"ref", "ref.json", {d1, d2}};
}

// Model m's runs alone, with 1 and 2 truncated answers.
inline std::vector<eval_samples> model_m_runs() {
  auto runs = two_models_two_datasets();
  runs.erase(runs.begin(), runs.begin() + 2);  // m only
  runs[0].truncated = 1;
  runs[1].truncated = 2;
  return runs;
}

}  // namespace leadrl::eval
