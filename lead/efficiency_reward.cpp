#include "lead/efficiency_reward.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace leadrl::lead {

const char* to_string(efficiency_mode m) {
  switch (m) {
    case efficiency_mode::max_sym:
      return "max_sym";
    case efficiency_mode::max_asym:
      return "max_asym";
    case efficiency_mode::upper_only:
      return "upper_only";
  }
  return "?";
}

result<efficiency_mode> parse_efficiency_mode(std::string_view name) {
  for (auto m :
       {efficiency_mode::max_sym, efficiency_mode::max_asym, efficiency_mode::upper_only}) {
    if (name == to_string(m)) return m;
  }
  return fail("lstar_mode: unknown name '" + std::string(name) +
              "'; expected one of max_sym, max_asym, upper_only");
}

double efficiency_reward(double length, double lstar, bool correct,
                         const efficiency_reward_options& options) {
  // spec/lead.md §4, with x = 1 - l/L.
  const double x = 1.0 - length / lstar;
  const double penalty = std::min(0.0, std::max(-1.0, x));  // [-1, 0], 0 for l <= L
  switch (options.mode) {
    case efficiency_mode::max_sym:
      return std::max(-1.0, 1.0 - std::fabs(length - lstar) / lstar);
    case efficiency_mode::upper_only:
      return penalty;
    case efficiency_mode::max_asym:
      if (!correct) return penalty;
      // Suspiciously short correct answers earn nothing (strict <).
      if (length < options.short_len) return 0.0;
      return std::max(0.0, x);
  }
  return 0.0;
}

std::vector<double> efficiency_rewards(const std::vector<double>& lengths,
                                       const std::vector<bool>& is_correct,
                                       const group_index& groups,
                                       const std::vector<length_target>& targets,
                                       const efficiency_reward_options& options) {
  std::vector<double> out(lengths.size(), 0.0);
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    out[i] =
        efficiency_reward(lengths[i], targets[groups.group_of[i]].lstar, is_correct[i], options);
  }
  return out;
}

}  // namespace leadrl::lead
