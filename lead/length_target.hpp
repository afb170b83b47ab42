// File: lead/length_target.hpp
//
// The per-prompt target length L*_q of spec/lead.md §3: which rollouts enter the
// aggregate, the four aggregators, the bmax/floor clamps and the no-correct fallback.
// This is the reference ("group") computation from one step's rollouts; the persistent
// per-prompt estimate lives in lead/length_target_table.hpp.
//
//   auto targets = lead::group_length_targets(batch.lengths, is_correct, groups, {});
//   double lstar_of_first_prompt = targets[0].lstar;
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// How the lengths of a prompt's rollouts are summarised into L*_q (spec/lead.md §3).
enum class length_aggregator {
  mean_correct,    ///< mean length of the correct rollouts (the paper's choice)
  min_correct,     ///< shortest correct rollout
  median_correct,  ///< median of the correct rollouts (mean of the two middle ones if even)
  mean_all,        ///< mean length of all rollouts, correct or not (never falls back)
};

/// The configuration name of `a` ("mean_correct", ...).
const char* to_string(length_aggregator a);

/// Parses an aggregator name. Fails on any other string, listing the valid names.
result<length_aggregator> parse_length_aggregator(std::string_view name);

/// True when only correct rollouts enter the aggregate (all but mean_all).
bool aggregates_correct_only(length_aggregator a);

/// Where a prompt's L*_q came from.
enum class lstar_source {
  aggregated,           ///< from this step's rollouts (and, in table mode, earlier visits)
  carried,              ///< table mode only: nothing usable this step, earlier visits decide
  no_correct_fallback,  ///< nothing to aggregate: L* = bmax, no floor (spec/lead.md §3)
};

/// "aggregated", "carried" or "no_correct_fallback" (the names of the test vectors).
const char* to_string(lstar_source s);

/// Parameters of the L* computation (spec/lead.md §2.1).
struct length_target_options {
  length_aggregator aggregator = length_aggregator::mean_correct;
  double lstar_floor = 1000.0;  ///< lower clamp of an aggregated L*, tokens
  double bmax = 8000.0;         ///< upper clamp of an aggregated L*, and L* of unsolved prompts
};

/// One prompt's target length.
struct length_target {
  double lstar = 0.0;
  lstar_source source = lstar_source::no_correct_fallback;
};

/// Applies the clamps to an aggregated value: the bmax cut first, then the floor, so a
/// floor above bmax wins (spec/lead.md §3).
double clamp_length_target(double raw, const length_target_options& options);

/// The raw (unclamped) aggregate of a non-empty set of lengths. min/median reorder
/// `lengths`. Precondition: `lengths` is not empty.
double aggregate_lengths(length_aggregator a, std::vector<double>& lengths);

/// L*_q of every group of `groups` from this step's rollouts only (the reference, §3).
/// `lengths` and `is_correct` have one entry per rollout of `groups`; the result has one
/// entry per group, in group order.
std::vector<length_target> group_length_targets(const std::vector<double>& lengths,
                                                const std::vector<bool>& is_correct,
                                                const group_index& groups,
                                                const length_target_options& options);

}  // namespace leadrl::lead
