#include "lead/group_normalization.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace leadrl::lead {

std::vector<double> group_normalize(const std::vector<double>& values, const group_index& groups,
                                    const group_normalization_options& options,
                                    std::vector<group_stats>* stats) {
  std::vector<double> out(values.size(), 0.0);
  if (stats != nullptr) stats->assign(groups.num_groups(), group_stats{});
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    const std::size_t n = groups.group_size(g);
    group_stats s;
    s.size = n;
    if (n >= 2) {
      double sum = 0.0;
      for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) sum += values[*i];
      s.mean = sum / static_cast<double>(n);
      double ss = 0.0;
      for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
        const double d = values[*i] - s.mean;
        ss += d * d;
      }
      s.std = std::sqrt(ss / static_cast<double>(n - 1));
    }
    // spec/lead.md §5: singletons use mean 0 and std 1, so the lone value survives;
    // the division is exactly (v - m) / (s + eps), eps on the std, not the variance.
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      out[*i] = options.scale_by_std ? (values[*i] - s.mean) / (s.std + options.epsilon)
                                     : values[*i] - s.mean;
    }
    if (stats != nullptr) (*stats)[g] = s;
  }
  return out;
}

result<std::vector<double>> rloo_advantages(const std::vector<double>& values,
                                            const group_index& groups) {
  std::vector<double> out(values.size(), 0.0);
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    const std::size_t n = groups.group_size(g);
    if (n < 2) {
      return fail("rloo: prompt " + std::to_string(groups.prompts[g]) +
                  " has 1 rollout; expected at least 2 per group for a leave-one-out baseline");
    }
    double sum = 0.0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) sum += values[*i];
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      out[*i] = values[*i] - (sum - values[*i]) / static_cast<double>(n - 1);
    }
  }
  return out;
}

result<std::vector<double>> whiten(const std::vector<double>& values,
                                   const std::vector<double>& weights,
                                   const whitening_options& options, whitening_stats* stats) {
  if (values.empty()) return fail("whitening: expected at least one value, got an empty batch");
  if (weights.size() != values.size()) {
    return fail("whitening: expected one token weight per value (" + std::to_string(values.size()) +
                "), got " + std::to_string(weights.size()));
  }
  double n = 0.0;
  double weighted_sum = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(weights[i]) || weights[i] < 0.0) {
      return fail("whitening: weights[" + std::to_string(i) +
                  "]: expected a finite token count >= 0");
    }
    if (!std::isfinite(values[i])) {
      return fail("whitening: values[" + std::to_string(i) + "]: expected a finite number");
    }
    n += weights[i];
    weighted_sum += weights[i] * values[i];
  }
  const bool unbiased = options.kind == whitening_kind::unbiased;
  if (unbiased ? n <= 1.0 : n <= 0.0) {
    return fail("whitening: expected more than " +
                std::string(unbiased ? "one token" : "zero tokens") + " in the batch, got " +
                std::to_string(n));
  }
  whitening_stats s;
  s.token_count = n;
  s.mean = weighted_sum / n;
  double ss = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double d = values[i] - s.mean;
    ss += weights[i] * d * d;
  }
  if (unbiased) {
    s.var = ss / (n - 1.0);
    s.inv_std = 1.0 / std::sqrt(s.var + options.epsilon);
  } else {
    s.var = ss / n;
    s.inv_std = 1.0 / std::sqrt(std::max(s.var, options.epsilon));
  }
  std::vector<double> out(values.size());
  if (unbiased) {
    const double denom = std::sqrt(s.var + options.epsilon);
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = (values[i] - s.mean) / denom;
  } else {
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = (values[i] - s.mean) * s.inv_std;
  }
  if (stats != nullptr) *stats = s;
  return out;
}

}  // namespace leadrl::lead
