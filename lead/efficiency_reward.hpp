// File: lead/efficiency_reward.hpp
//
// The efficiency reward R_eff of spec/lead.md §4: how a rollout's length compares with
// its prompt's target length L*_q, in the three modes of the reference.
//
//   double r = lead::efficiency_reward(2400, 2750, true, {lead::efficiency_mode::max_sym});
//   auto all = lead::efficiency_rewards(batch.lengths, is_correct, groups, targets, {});
#pragma once

#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "lead/length_target.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// The shape of R_eff (configuration key `lstar_mode`, spec/lead.md §4).
enum class efficiency_mode {
  max_sym,     ///< max(-1, 1 - |l - L|/L) for every rollout (the paper's mode, our default)
  max_asym,    ///< correct: 0 if l < short_len else max(0, 1 - l/L); incorrect: clamp(1 - l/L)
  upper_only,  ///< min(0, max(-1, 1 - l/L)) for every rollout: only overshoot is penalised
};

/// The configuration name of `m` ("max_sym", ...).
const char* to_string(efficiency_mode m);

/// Parses a mode name. Fails on any other string, listing the valid names.
result<efficiency_mode> parse_efficiency_mode(std::string_view name);

struct efficiency_reward_options {
  efficiency_mode mode = efficiency_mode::max_sym;
  double short_len = 500.0;  ///< max_asym: correct rollouts strictly shorter than this get 0
};

/// R_eff of one rollout of `length` tokens whose prompt has target `lstar` (> 0).
double efficiency_reward(double length, double lstar, bool correct,
                         const efficiency_reward_options& options);

/// R_eff of every rollout; `targets` has one entry per group of `groups`.
std::vector<double> efficiency_rewards(const std::vector<double>& lengths,
                                       const std::vector<bool>& is_correct,
                                       const group_index& groups,
                                       const std::vector<length_target>& targets,
                                       const efficiency_reward_options& options);

}  // namespace leadrl::lead
