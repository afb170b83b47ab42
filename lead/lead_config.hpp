// File: lead/lead_config.hpp
//
// Every LEAD knob (spec/lead.md §2.1) in one struct, its rule set and its start-up
// warnings. Each field is named after its INI key without the `algorithm.lead_` prefix
// (`algorithm.lead_lambda_min` is `lambda_min`) and its default member initializer is the
// one place its default is written: io/train_options and the PSI controller read it here.
//
//   lead::lead_config config;  config.lambda_min = 0.1;
//   if (auto s = lead::validate_config(config); !s) std::cerr << s.error().message();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "lead/efficiency_reward.hpp"
#include "lead/length_target.hpp"
#include "lead/length_target_table.hpp"

namespace leadrl::lead {

/// Every LEAD knob of spec/lead.md §2.1 with the C++ defaults, plus the table mode.
struct lead_config {
  length_aggregator aggregator = length_aggregator::mean_correct;
  efficiency_mode lstar_mode = efficiency_mode::max_sym;  ///< §14.1: max_sym, not max_asym
  double lstar_floor = 1000.0;  ///< tokens; scale down for small budgets (e.g. 8)
  double bmax = 8000.0;         ///< tokens; e.g. max_response_length
  double short_len = 500.0;     ///< tokens; max_asym only
  double alpha = 1.0;           ///< potential exponent (0^0 = 1)
  double beta = 0.95;           ///< EMA momentum
  double epsilon = 1e-8;        ///< CV / normalisation guard
  double lambda_min = 0.3;      ///< floor on w_corr (dynamic mode only); the spec's w_min
  /// Set: static ablation (w, 1 - w), no floor; the spec's static_w_corr.
  std::optional<double> static_lambda_corr;
  double grpo_epsilon = 1e-6;      ///< added to the group std
  double sigma_floor = 1e-8;       ///< added under the PSI sigma square roots
  double whiten_epsilon = 1e-8;    ///< added to the batch variance
  double correct_threshold = 0.5;  ///< correct iff correctness > threshold (strict)
  /// Which L*_q is used: the reference `group`, or the persistent `table` estimate (needs a
  /// length_target_table passed to lead_step).
  length_target_mode lstar_table = length_target_mode::group;
  std::int64_t lstar_table_history = 32;  ///< H of the table's update rule, >= 1
};

/// Checks `config`. Fails, naming `field_prefix` + the field, the expected range and the
/// value ("lead config beta: expected a number in [0, 1], got 1.5"), unless: lstar_floor
/// > 0; bmax >= 1; short_len >= 0; alpha >= 0; 0 <= beta <= 1; 0 <= lambda_min <= 1;
/// static_lambda_corr (if set) in [0, 1]; epsilon, grpo_epsilon, whiten_epsilon > 0;
/// sigma_floor >= 0; correct_threshold finite; lstar_table_history >= 1; every number
/// finite. lstar_floor > bmax is legal (spec/lead.md §2.1: odd, every aggregated L* is then
/// lstar_floor). A config reader passes its key prefix ("algorithm.lead_") so that the
/// message names the key, as field names are key names.
status validate_config(const lead_config& config, std::string_view field_prefix = "lead config ");

/// Legal but suspicious settings of a valid config, one sentence each, for the caller to log
/// at start-up (spec/lead.md §2.1): lstar_floor > bmax (every aggregated L* is the floor),
/// max_asym with short_len > lstar_floor (correct rollouts near the floor earn nothing),
/// correct_threshold outside [0, 1) for 0/1 scores (§14.19).
std::vector<std::string> config_warnings(const lead_config& config);

}  // namespace leadrl::lead
