// File: eval/fair_report.hpp
//
// The analysis of issue 17's fair test (docs/experiments/fair_test.md, "Readouts" and
// "Statistical test"), from the inputs eval/fair_inputs.hpp reads: per arm and level the
// mean over seeds (± sample sd) of pass@1, length ratio, skip rate and the accuracy of
// skipped and of full answers; AES against the SFT base over the five levels, both variants
// of lead::aes_over_datasets; and the paired test of LEAD max_sym against every other arm
// (and of the two curriculum arms): the per-seed difference, its mean and a 95% percentile
// bootstrap interval (splitmix64 resampling, so the interval is the same on every
// platform). Rendered as markdown (results.md) and JSON (summary.json) for `leadrl
// fair-report`; the charts are eval/fair_charts.hpp.
//
//   auto report = eval::build_fair_report(*inputs, {10000, 1});
//   std::cout << eval::fair_report_markdown(report, charts);
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "eval/fair_inputs.hpp"
#include "lead/eval_metrics.hpp"

namespace leadrl::eval {

/// Mean, sample standard deviation (n - 1) and count of some values; NaN where undefined
/// (mean of none, sd of fewer than two).
struct value_summary {
  double mean = NAN;
  double sd = NAN;
  std::size_t n = 0;
};

/// The summary of `values` (all finite).
value_summary summarize_values(const std::vector<double>& values);

/// A per-seed figure of one arm: seed -> value.
using seed_values = std::map<int, double>;

/// reference[s] - other[s] for each seed s present in both, in seed order; seeds in only
/// one of them are dropped (the test is paired).
std::vector<double> paired_differences(const seed_values& reference, const seed_values& other);

/// A percentile bootstrap interval of a mean.
struct bootstrap_interval {
  double mean = 0.0;  ///< the mean of the values themselves
  double lo = 0.0;
  double hi = 0.0;
};

/// The `confidence` percentile bootstrap interval of the mean of `values`: `resamples`
/// resamples of values.size() values drawn with replacement by a splitmix64 stream from
/// `seed` (index = the high 64 bits of draw * n), the mean of each, and the (1 - c)/2 and
/// (1 + c)/2 quantiles of those means (linear interpolation between order statistics, as
/// numpy's default). Means are taken relative to the first value, so that equal values give
/// exactly that value as mean and both bounds. Fails on no values, a non-finite value,
/// resamples == 0 or a confidence outside (0, 1).
result<bootstrap_interval> bootstrap_mean_interval(const std::vector<double>& values,
                                                   std::size_t resamples, std::uint64_t seed,
                                                   double confidence = 0.95);

/// AES of `run` against `base` over the five levels, each level a "dataset" with accuracy
/// = pass@1 and length = mean_tokens (lead::aes_over_datasets with O1-Pruner's constants
/// (1, 3, 5); the report holds both variants). Fails like lead::aes_over_datasets, e.g.
/// when the base's pass@1 at a level is 0 and the run's is not.
result<lead::aes_report> fair_aes(const fair_readout& run, const fair_readout& base);

/// A per-level figure of the readout tables.
struct fair_level_metric {
  const char* key;                                    ///< e.g. "pass_at_1" (summary.json)
  const char* title;                                  ///< e.g. "pass@1" (results.md)
  int digits;                                         ///< decimals in results.md
  std::optional<double> (*value)(const fair_level&);  ///< absent: not measured (no answers)
};

/// pass@1, length ratio, skip rate, accuracy of skipped answers, accuracy of full answers.
const std::vector<fair_level_metric>& fair_level_metrics();

/// A per-run figure over several levels (the readouts of the statistical test).
struct fair_score_spec {
  const char* key;    ///< e.g. "pass_at_1_levels_4_5"
  const char* title;  ///< e.g. "pass@1, levels 4-5"
  int digits;
  bool paired;  ///< compared in the paired tests
  /// Measured on the curriculum arms only (from their training logs) and compared only
  /// between them.
  bool curriculum_only = false;
};

/// pass@1 and skip rate over levels 4-5, pass@1 over levels 1-5, length ratio over levels
/// 1-2 and 1-5, AES (formula): paired; AES (plus_abs): reported, not tested; and, for the
/// curriculum arms, the recovery readout (fair_recovery_accuracy, key
/// "recovery_accuracy_levels_4_5"; exploratory: defined after seeds 1-4 were seen).
const std::vector<fair_score_spec>& fair_scores();

/// A training log's level 4-5 rollouts per step: step -> (correct, rollouts), where correct
/// sums accuracy x rollouts over levels 4 and 5, each level counted at a step where it logs
/// both levelD/accuracy and levelD/rollouts > 0; steps with neither level are absent (e.g.
/// before a curriculum adds them).
std::map<double, std::pair<double, double>> hard_levels_rollouts(const io::run_log& log);

/// How fast a curriculum run recovers the hard levels: its training accuracy on levels 4-5
/// pooled over the fair_recovery_steps steps after fair_curriculum_switch_step (steps
/// 151-180: correct over rollouts of hard_levels_rollouts in that range). Absent when the
/// log has no level 4-5 rollout there.
std::optional<double> fair_recovery_accuracy(const io::run_log& log);

/// Each fair_scores() figure of one readout (key -> value); the AES entries are absent when
/// `base` is null (the base itself) or when fair_aes fails, whose message goes to `aes_error`.
std::map<std::string, double> score_readout(const fair_readout& run, const fair_readout* base,
                                            std::string* aes_error = nullptr);

/// One arm's figures over its seeds with a readout.
struct fair_arm_summary {
  fair_arm_spec spec;
  std::vector<int> readout_seeds;  ///< seeds with a readout.json
  std::vector<int> log_seeds;      ///< seeds with a train.jsonl
  /// fair_level_metrics() key -> level d at [d - 1].
  std::map<std::string, std::array<value_summary, fair_level_count>> levels;
  std::map<std::string, seed_values> scores;  ///< fair_scores() key -> per seed
  std::map<std::string, value_summary> score_summaries;
};

/// The summary of the runs of one arm (`base` for AES; seeds without a readout are left
/// out of every figure; a curriculum arm's recovery readout comes from the training log of
/// each seed with a readout). AES failures and readouts measured under another protocol than
/// the base's are added to `notes`.
fair_arm_summary summarize_arm(const fair_arm& arm, const fair_readout& base,
                               std::vector<std::string>& notes);

/// One paired comparison: reference arm minus other arm on one readout.
struct fair_paired_test {
  std::string reference;
  std::string other;    ///< its label (fair_arm_label)
  std::string readout;  ///< fair_scores() key
  std::size_t pairs = 0;
  std::optional<double> mean_difference;       ///< absent without pairs
  std::optional<bootstrap_interval> interval;  ///< absent below two pairs
  /// With at least `registered_pairs` pairs: "supported" (the interval excludes 0) or
  /// "not distinguishable". With 2 up to registered_pairs - 1 pairs the interval is given
  /// but no verdict: "interim: excludes 0 (3 of 8 pairs)" or "interim: includes 0 (...)"
  /// (a percentile interval of so few differences is too narrow; of 2 it is their range,
  /// which excludes 0 whenever they share a sign). Else "too few pairs" (fewer than two:
  /// no interval) or "no interval: ..." (resamples == 0).
  std::string verdict;
};

/// The paired test of `reference` against `other` on the readout `key`.
fair_paired_test paired_test(const fair_arm_summary& reference, const fair_arm_summary& other,
                             const std::string& key, std::size_t resamples, std::uint64_t seed,
                             std::size_t registered_pairs = fair_registered_seeds);

/// How the bootstrap runs.
struct fair_report_options {
  std::size_t resamples = 10000;
  std::uint64_t seed = 1;
  /// The pairs a verdict needs (the design's seeds per arm); fewer give "interim: ...".
  std::size_t registered_pairs = fair_registered_seeds;
};

/// Everything results.md and summary.json say.
struct fair_report {
  std::string dir;
  std::string base_source;
  fair_protocol protocol;  ///< the base's
  fair_report_options options;
  fair_arm_summary base;                           ///< the base's figures (one "seed", 0)
  std::vector<fair_arm_summary> arms;              ///< fair_arms() order
  std::vector<fair_paired_test> reference_tests;   ///< lead_max_sym vs every other
                                                   ///< non-curriculum arm with a readout
  std::vector<fair_paired_test> curriculum_tests;  ///< curriculum_lead vs curriculum_static_0.5,
                                                   ///< when both have a readout
  std::vector<std::string> notes;
};

/// The summaries and paired tests of `in`.
fair_report build_fair_report(const fair_inputs& in, const fair_report_options& options);

/// Paired tests in `tests` that have an interval (the number of comparisons to report).
std::size_t comparisons(const std::vector<fair_paired_test>& tests);

/// What became of one chart: written to `file` (under plots/), or skipped and why.
struct fair_chart_note {
  std::string file;
  bool written = false;
  std::string detail;  ///< what it shows, or why it was not drawn
};

/// results.md: the runs found, (1) the per-level tables, (2) AES, (3) the paired tests,
/// (4) the PSI question, then the charts and notes.
std::string fair_report_markdown(const fair_report& report,
                                 const std::vector<fair_chart_note>& charts);

/// summary.json: the same figures (per-seed values included), keys in a fixed order.
std::string fair_report_json(const fair_report& report, const std::vector<fair_chart_note>& charts);

}  // namespace leadrl::eval
