// File: lead/eval_metrics.hpp
//
// Evaluation metrics over n sampled answers per problem: pass@1 (and the unbiased
// pass@k estimator), mean response length (all and correct answers), and the
// Accuracy-Efficiency Score (AES, spec/baselines.md vectors case `aes_metric`) per
// dataset and averaged over datasets.
//
//   auto s = lead::summarize_dataset(problem_ids, correctness, lengths);   // pass@1, lengths
//   auto r = lead::aes_over_datasets({{"math500", 0.82, 2100, 0.83, 4900}}, {});
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// Unbiased pass@k for one problem with `n` samples of which `c` are correct:
/// 1 - C(n-c, k) / C(n, k), evaluated as a product (no overflow).
/// Fails if n == 0, c > n, k == 0 or k > n.
result<double> pass_at_k(std::size_t n, std::size_t c, std::size_t k);

/// Mean over problems of the unbiased pass@k; samples are grouped by `problem_ids` and a
/// score counts as correct iff > 0.5. Problems may have different sample counts.
/// Fails on an empty input, mismatched sizes, a non-finite score, or k outside
/// [1, samples of the smallest problem].
result<double> pass_at_k(const std::vector<prompt_id>& problem_ids,
                         const std::vector<double>& correctness, std::size_t k);

/// pass@1 over n samples: the mean over problems of each problem's fraction correct.
/// Fails like pass_at_k.
result<double> pass_at_1(const std::vector<prompt_id>& problem_ids,
                         const std::vector<double>& correctness);

/// Mean of `lengths`. Fails on an empty input or a length that is not finite and >= 0.
result<double> mean_length(const std::vector<double>& lengths);

/// Mean length of the correct answers (score > 0.5). Fails like mean_length, on
/// mismatched sizes or a non-finite score, and when no answer is correct.
result<double> mean_correct_length(const std::vector<double>& lengths,
                                   const std::vector<double>& correctness);

/// One dataset's evaluation.
struct dataset_summary {
  std::size_t problems = 0;
  std::size_t samples = 0;
  double pass_at_1 = 0.0;                     ///< fraction in [0, 1]
  double mean_length = 0.0;                   ///< over all samples
  std::optional<double> mean_correct_length;  ///< absent when nothing is correct
};

/// pass@1 and lengths of one dataset's samples. Fails on an empty input, mismatched
/// sizes, or a non-finite score or length (lengths must be >= 0).
result<dataset_summary> summarize_dataset(const std::vector<prompt_id>& problem_ids,
                                          const std::vector<double>& correctness,
                                          const std::vector<double>& lengths);

/// The AES weights: a on the length saving, b on an accuracy gain, g on a loss.
/// Defaults are O1-Pruner's (1, 3, 5).
struct aes_constants {
  double a = 1.0;
  double b = 3.0;
  double g = 5.0;
};

/// Which AES to compute, with dLen = (len_base - len)/len_base and
/// dAcc = (acc - acc_base)/acc_base.
enum class aes_variant {
  formula,   ///< a*dLen + b*|dAcc| if dAcc >= 0, else a*dLen - g*|dAcc|
  plus_abs,  ///< a*dLen + b*|dAcc| whatever the sign of dAcc (what O1-Pruner's table
             ///< numbers match: an accuracy drop is rewarded like a gain)
};

/// dAcc = (acc - acc_base)/acc_base, with 0 when both accuracies are 0 (nothing to gain or
/// lose: on a hard set like AIME both a base and a compressed model can solve nothing).
/// Fails when acc_base is 0 and acc is not (the relative gain is unbounded).
result<double> relative_accuracy_change(double accuracy, double base_accuracy);

/// AES of a model against its base. Accuracies may be fractions or percentages as long
/// as both use the same unit. Fails on a non-finite input, a negative accuracy or
/// length, a base length <= 0, or a base accuracy of 0 with a positive accuracy (the
/// relative change is unbounded; both 0 counts as no change, relative_accuracy_change).
result<double> aes(double accuracy, double length, double base_accuracy, double base_length,
                   const aes_constants& constants = {}, aes_variant variant = aes_variant::formula);

/// One dataset's accuracy and mean length, with those of the base model.
struct aes_input {
  std::string dataset;
  double accuracy = 0.0;
  double length = 0.0;
  double base_accuracy = 0.0;
  double base_length = 0.0;
};

struct aes_row {
  std::string dataset;
  double delta_length = 0.0;    ///< (len_base - len) / len_base
  double delta_accuracy = 0.0;  ///< (acc - acc_base) / acc_base
  double aes_formula = 0.0;
  double aes_plus_abs = 0.0;
};

/// AES per dataset (both variants) and each variant's mean over datasets.
struct aes_report {
  std::vector<aes_row> datasets;
  double mean_formula = 0.0;
  double mean_plus_abs = 0.0;
};

/// Fails on no datasets or on any dataset aes() rejects (the error names the dataset).
result<aes_report> aes_over_datasets(const std::vector<aes_input>& datasets,
                                     const aes_constants& constants = {});

}  // namespace leadrl::lead
