// File: eval/step_gate.hpp
//
// The gate of issue 17's fair test, before any RL run: the SFT base model's sampled answers,
// per difficulty level, classified by the step counter (io/arith_steps.hpp) into full
// step-by-step, fused and dropped answers, with the accuracy of each kind; the gate passes
// when skipping steps is safe on easy problems and costly on hard ones while step-by-step
// answers stay accurate (docs/experiments/fair_test.md pre-registers the thresholds, the
// defaults of step_gate_thresholds). Pure counting and rendering; `leadrl step-gate`
// (apps/step_gate.cpp) samples the answers with eval::eval_model.
//
//   std::vector<eval::step_gate_level> levels = ...;   // add_answer() per graded answer
//   auto verdict = eval::judge_step_gate(levels, {});
//   std::cout << eval::step_gate_markdown(levels, &verdict);   // exit verdict.passed ? 0 : 1
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/arith_steps.hpp"

namespace leadrl::eval {

/// Answers of one kind at one level and how many were correct.
struct step_gate_cell {
  std::size_t answers = 0;
  std::size_t correct = 0;
  /// correct / answers; 0 when there is no answer.
  double accuracy() const;
};

/// One difficulty level's answers, in total and by kind.
struct step_gate_level {
  int level = 1;
  step_gate_cell all;
  step_gate_cell full;     ///< io::arith_step_kind::full
  step_gate_cell fused;    ///< io::arith_step_kind::fused
  step_gate_cell dropped;  ///< io::arith_step_kind::dropped
  double tokens = 0;       ///< summed answer lengths (tokens), for the mean
  /// Summed lengths (tokens) of the minimal step-by-step answer of each answer's problem,
  /// for the length over the minimal length (the fair test's readout); 0 when not counted.
  double minimal_tokens = 0;
};

/// Counts one graded answer of `level` of the kind the step counter gave it.
void add_answer(step_gate_level& level, io::arith_step_kind kind, bool correct, double tokens);

/// The pre-registered thresholds (docs/experiments/fair_test.md).
struct step_gate_thresholds {
  int easy_level = 1;                  ///< fused answers must be reliable here ...
  double fused_easy_min = 0.90;        ///< ... accuracy >= this
  std::vector<int> hard_levels{4, 5};  ///< and unreliable at each of these ...
  double fused_hard_max = 0.50;        ///< ... accuracy <= this
  double full_min = 0.75;              ///< step-by-step accuracy >= this at every level
  /// Fewest answers of a kind behind a checked accuracy; fewer make the check fail
  /// ("too few answers"), since the gate cannot pass on what it did not measure.
  std::size_t min_answers = 30;
};

/// One check of the gate.
struct step_gate_check {
  std::string name;  ///< e.g. "fused accuracy at level 1 >= 0.90"
  bool passed = false;
  std::string detail;  ///< the measured figure, e.g. "0.94 (47 of 50)" or "too few answers"
};

/// The verdict: every check, and whether all passed.
struct step_gate_verdict {
  std::vector<step_gate_check> checks;
  bool passed = false;
};

/// Applies `thresholds` to `levels`. A level named by the thresholds but absent from
/// `levels` fails its checks ("level not evaluated").
step_gate_verdict judge_step_gate(const std::vector<step_gate_level>& levels,
                                  const step_gate_thresholds& thresholds);

/// A markdown table (level, answers, accuracy, mean tokens, mean tokens over the minimal
/// answers' ("-" when not counted), then answers / share / accuracy of full, fused and
/// dropped answers), then the checks and the verdict line unless `verdict` is null.
std::string step_gate_markdown(const std::vector<step_gate_level>& levels,
                               const step_gate_verdict* verdict);

/// What a step-gate run sampled, for the JSON record.
struct step_gate_settings {
  std::string model;
  std::uint64_t problems_per_level = 0;
  std::int64_t samples_per_problem = 0;
  double temperature = 1.0;
  double top_p = 1.0;
  std::uint64_t problem_seed = 1;
  std::uint64_t sample_seed = 1;
  int max_digits = 0;
};

/// The levels as JSON, one object per level: answers, correct, accuracy, mean_tokens,
/// minimal_tokens (mean), length_ratio (mean_tokens / minimal_tokens), skip_rate (fused +
/// dropped over all), and {answers, correct, accuracy} of full, fused, dropped and skipped
/// answers (accuracy null without answers; minimal_tokens and length_ratio null when no
/// minimal length was counted), after the settings; "gate" holds the verdict's checks, or
/// null when `verdict` is null (a readout, not a gate).
std::string step_gate_json(const step_gate_settings& settings,
                           const std::vector<step_gate_level>& levels,
                           const step_gate_verdict* verdict);

}  // namespace leadrl::eval
