#include "lead/baselines.hpp"

#include <algorithm>
#include <cmath>

#include "lead/baseline_checks.hpp"

namespace leadrl::lead {
namespace {

bool is_correct(double score) {
  return score > correct_threshold;
}

double indicator(double score) {
  return is_correct(score) ? 1.0 : 0.0;
}

/// Checks the batch is non-empty and `correctness` / `lengths` match it.
status check_scored_rows(const char* context, const std::vector<double>& correctness,
                         const std::vector<double>& lengths, std::size_t n) {
  if (auto s = check_non_empty(context, n); !s) return s;
  if (auto s = check_rows("correctness", correctness, n, row_rule::finite); !s) return s;
  return check_rows("lengths", lengths, n, row_rule::length);
}

}  // namespace

// spec/baselines.md §0.1
result<std::vector<double>> grpo_advantages(const std::vector<double>& rewards,
                                            const group_index& groups, double epsilon) {
  const std::size_t n = groups.group_of.size();
  if (auto s = check_non_empty("grpo", n); !s) return s.error();
  if (auto s = check_rows("rewards", rewards, n, row_rule::finite); !s) return s.error();
  // eps > 0 keeps an all-equal group at 0/eps = 0 instead of 0/0.
  if (!std::isfinite(epsilon) || epsilon <= 0.0) {
    return fail("grpo epsilon: expected a finite number > 0, got " + describe_number(epsilon));
  }
  return group_normalize(rewards, groups, {epsilon, true});
}

result<std::vector<double>> grpo_no_std_advantages(const std::vector<double>& rewards,
                                                   const group_index& groups) {
  const std::size_t n = groups.group_of.size();
  if (auto s = check_non_empty("grpo_no_std", n); !s) return s.error();
  if (auto s = check_rows("rewards", rewards, n, row_rule::finite); !s) return s.error();
  return group_normalize(rewards, groups, {1e-6, false});
}

// spec/baselines.md §1
result<arora_zanette_output> arora_zanette(const std::vector<double>& correctness,
                                           const std::vector<double>& lengths,
                                           const std::vector<bool>& truncated,
                                           const group_index& groups,
                                           const arora_zanette_config& config) {
  const std::size_t n = groups.group_of.size();
  if (auto s = check_scored_rows("arora_zanette", correctness, lengths, n); !s) return s.error();
  if (auto s = check_flags("truncated", truncated, n); !s) return s.error();
  if (!(config.alpha >= 0.0 && config.alpha < 1.0)) {
    return fail("arora_zanette alpha: expected a number in [0, 1), got " +
                describe_number(config.alpha));
  }
  if (!std::isfinite(config.std_epsilon) || config.std_epsilon <= 0.0) {
    return fail("arora_zanette std_epsilon: expected a finite number > 0, got " +
                describe_number(config.std_epsilon));
  }
  auto counts = [&](std::size_t i) {
    // check_eos: a response cut at the limit gets reward 0 and leaves the statistics.
    return is_correct(correctness[i]) && !(config.check_eos && !truncated.empty() && truncated[i]);
  };

  arora_zanette_output out;
  out.rewards.assign(n, 0.0);
  out.group_stats.resize(groups.num_groups());
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    correct_length_stats& st = out.group_stats[g];
    double sum = 0.0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      if (!counts(*i)) continue;
      ++st.n_correct;
      sum += lengths[*i];
    }
    if (st.n_correct == 0) continue;
    st.mean = sum / static_cast<double>(st.n_correct);
    double ss = 0.0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      if (counts(*i)) ss += (lengths[*i] - st.mean) * (lengths[*i] - st.mean);
    }
    st.std = std::sqrt(ss / static_cast<double>(st.n_correct));  // population std (numpy)
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      if (!counts(*i)) continue;
      const double z = (lengths[*i] - st.mean) / (st.std + config.std_epsilon);
      out.rewards[*i] = 1.0 - config.alpha / (1.0 + std::exp(-z));
    }
  }
  auto rloo = rloo_advantages(out.rewards, groups);
  if (!rloo) return rloo.error().with_context("arora_zanette");
  out.rloo_advantages = std::move(*rloo);
  auto white =
      whiten(out.rloo_advantages, lengths, {whitening_kind::population, config.whiten_epsilon});
  if (!white) return white.error().with_context("arora_zanette");
  out.advantages = std::move(*white);
  return out;
}

// spec/baselines.md §2
result<threshold_mode> parse_threshold_mode(const std::string& name) {
  if (name == "classic") return threshold_mode::classic;
  if (name == "conditioned") return threshold_mode::conditioned;
  return fail("threshold reward mode: expected one of classic, conditioned; got '" + name + "'");
}

result<std::vector<double>> threshold_rewards(const std::vector<double>& correctness,
                                              const std::vector<double>& estimated_length,
                                              const threshold_reward_config& config) {
  const std::size_t n = correctness.size();
  if (auto s = check_non_empty("threshold reward", n); !s) return s.error();
  if (auto s = check_rows("correctness", correctness, n, row_rule::finite); !s) return s.error();
  if (auto s = check_rows("estimated_length", estimated_length, n, row_rule::non_negative); !s) {
    return s.error();
  }
  for (auto [name, v] : {std::pair<const char*, double>{"lam_corr", config.lam_corr},
                         {"lam_len", config.lam_len},
                         {"len", config.len}}) {
    if (auto s = check_parameter(name, v); !s) return s.error();
  }
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool short_enough = estimated_length[i] <= config.len;
    const bool bonus = config.mode == threshold_mode::classic
                           ? short_enough
                           : short_enough && is_correct(correctness[i]);
    out[i] = config.lam_corr * indicator(correctness[i]) + (bonus ? config.lam_len : 0.0);
  }
  return out;
}

// spec/baselines.md §4
result<gdpo_output> gdpo(const std::vector<gdpo_component>& components,
                         const std::vector<double>& lengths, const group_index& groups,
                         double grpo_epsilon, double whiten_epsilon) {
  const std::size_t n = groups.group_of.size();
  if (auto s = check_non_empty("gdpo", n); !s) return s.error();
  if (components.empty()) return fail("gdpo: expected at least one reward component, got none");
  if (auto s = check_rows("lengths", lengths, n, row_rule::length); !s) return s.error();
  gdpo_output out;
  out.summed.assign(n, 0.0);
  for (std::size_t k = 0; k < components.size(); ++k) {
    const gdpo_component& c = components[k];
    const std::string field = "gdpo component " + std::to_string(k);
    if (auto s = check_rows(field.c_str(), c.values, n, row_rule::finite); !s) return s.error();
    if (auto s = check_parameter((field + " weight").c_str(), c.weight); !s) return s.error();
    const bool any_nonzero =
        std::any_of(c.values.begin(), c.values.end(), [](double v) { return v != 0.0; });
    const bool used = c.weight != 0.0 && (c.always_used || any_nonzero);
    out.component_used.push_back(used);
    if (!used) continue;
    auto a = grpo_advantages(c.values, groups, grpo_epsilon);
    if (!a) return a.error().with_context(field);
    for (std::size_t i = 0; i < n; ++i) out.summed[i] += c.weight * (*a)[i];
  }
  auto white = whiten(out.summed, lengths, {whitening_kind::unbiased, whiten_epsilon});
  if (!white) return white.error().with_context("gdpo");
  out.advantages = std::move(*white);
  return out;
}

// spec/baselines.md §5
result<std::vector<double>> kimi_length_rewards(const std::vector<double>& correctness,
                                                const std::vector<double>& lengths,
                                                const group_index& groups) {
  const std::size_t n = groups.group_of.size();
  if (auto s = check_scored_rows("kimi", correctness, lengths, n); !s) return s.error();
  std::vector<double> out(n, 0.0);
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    const auto [lo, hi] =
        std::minmax_element(groups.begin(g), groups.end(g),
                            [&](std::size_t a, std::size_t b) { return lengths[a] < lengths[b]; });
    const double l_min = lengths[*lo];
    const double l_max = lengths[*hi];
    if (l_max == l_min) continue;  // equal lengths: no length reward at all
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      const double lambda = 0.5 - (lengths[*i] - l_min) / (l_max - l_min);
      out[*i] = is_correct(correctness[*i]) ? lambda : std::min(0.0, lambda);
    }
  }
  return out;
}

// spec/baselines.md §6
result<l1_max_variant> parse_l1_max_variant(const std::string& name) {
  if (name == "paper") return l1_max_variant::paper;
  if (name == "code_multiplier") return l1_max_variant::code_multiplier;
  if (name == "code_additive") return l1_max_variant::code_additive;
  return fail("l1 max variant: expected one of paper, code_multiplier, code_additive; got '" +
              name + "'");
}

namespace {

status check_l1(const std::vector<double>& correctness, const std::vector<double>& lengths,
                const std::vector<double>& n_gold, const l1_config& config) {
  const std::size_t n = correctness.size();
  if (auto s = check_scored_rows("l1", correctness, lengths, n); !s) return s;
  if (auto s = check_rows("n_gold", n_gold, n, row_rule::non_negative); !s) return s;
  if (auto s = check_parameter("l1 alpha", config.alpha); !s) return s;
  return check_parameter("l1 delta", config.delta);
}

// The L1 rewards `reward(c, gap)` of every row, c its 0/1 correctness and gap
// n_gold - length, after check_l1.
template <class Reward>
result<std::vector<double>> l1_rewards(const std::vector<double>& correctness,
                                       const std::vector<double>& lengths,
                                       const std::vector<double>& n_gold, const l1_config& config,
                                       Reward&& reward) {
  if (auto s = check_l1(correctness, lengths, n_gold, config); !s) return s.error();
  std::vector<double> out(correctness.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = reward(indicator(correctness[i]), n_gold[i] - lengths[i]);
  }
  return out;
}

}  // namespace

result<std::vector<double>> l1_exact_rewards(const std::vector<double>& correctness,
                                             const std::vector<double>& lengths,
                                             const std::vector<double>& n_gold,
                                             const l1_config& config) {
  return l1_rewards(correctness, lengths, n_gold, config,
                    [&](double c, double gap) { return c - config.alpha * std::abs(gap); });
}

result<std::vector<double>> l1_max_rewards(const std::vector<double>& correctness,
                                           const std::vector<double>& lengths,
                                           const std::vector<double>& n_gold,
                                           const l1_config& config) {
  return l1_rewards(correctness, lengths, n_gold, config, [&](double c, double gap) {
    const double slack = config.alpha * gap;
    const double g = (std::clamp(slack, -1.0, 1.0) + 1.0) / 2.0;
    switch (config.max_variant) {
      case l1_max_variant::paper:
        return c * std::clamp(slack + config.delta, 0.0, 1.0);
      case l1_max_variant::code_multiplier:
        return c * std::max(0.0, g);
      case l1_max_variant::code_additive:
        return c + g;
    }
    return 0.0;
  });
}

// spec/baselines.md §7
result<std::vector<double>> thinkprune_rewards(const std::vector<double>& correctness,
                                               const std::vector<double>& lengths,
                                               const std::vector<bool>& truncated, double limit) {
  const std::size_t n = correctness.size();
  if (auto s = check_scored_rows("thinkprune", correctness, lengths, n); !s) return s.error();
  if (auto s = check_flags("truncated", truncated, n); !s) return s.error();
  if (!std::isfinite(limit) || limit < 1.0) {
    return fail("thinkprune limit: expected a finite token count >= 1, got " +
                describe_number(limit));
  }
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    // A row longer than the limit would have been cut there and carry no final answer.
    const bool cut = (!truncated.empty() && truncated[i]) || lengths[i] > limit;
    out[i] = (is_correct(correctness[i]) && !cut) ? 1.0 : 0.0;
  }
  return out;
}

// spec/baselines.md §8
result<shorterbetter_output> shorterbetter_rewards(const std::vector<double>& correctness,
                                                   const std::vector<double>& lengths,
                                                   const group_index& groups,
                                                   const shorterbetter_config& config) {
  const std::size_t n = groups.group_of.size();
  if (auto s = check_scored_rows("shorterbetter", correctness, lengths, n); !s) return s.error();
  if (auto s = check_parameter("shorterbetter alpha", config.alpha); !s) return s.error();
  if (auto s = check_parameter("shorterbetter beta", config.beta); !s) return s.error();
  shorterbetter_output out;
  out.sol.resize(groups.num_groups());
  out.rewards.resize(n);
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    bool any_correct = false;
    double shortest = 0.0;
    double sum = 0.0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      sum += lengths[*i];
      if (!is_correct(correctness[*i])) continue;
      shortest = any_correct ? std::min(shortest, lengths[*i]) : lengths[*i];
      any_correct = true;
    }
    const double sol = any_correct ? shortest : sum / static_cast<double>(groups.group_size(g));
    out.sol[g] = sol;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      out.rewards[*i] =
          config.alpha * indicator(correctness[*i]) - config.beta * std::abs(lengths[*i] - sol);
    }
  }
  return out;
}

// spec/baselines.md §9
double lcr1_compressed_length(double think_len, double tail_len, double answer_prefix_len,
                              bool right) {
  const bool found = answer_prefix_len > 0.0 && answer_prefix_len <= think_len;
  return (right && found ? answer_prefix_len : think_len) + tail_len;
}

result<lcr1_output> lcr1(const lcr1_inputs& in, const group_index& groups,
                         const lcr1_config& config) {
  const std::size_t n = groups.group_of.size();
  if (auto s = check_non_empty("lc_r1", n); !s) return s.error();
  if (auto s = check_rows("format_ok", in.format_ok, n, row_rule::finite); !s) return s.error();
  if (auto s = check_rows("accuracy_ok", in.accuracy_ok, n, row_rule::finite); !s) {
    return s.error();
  }
  if (auto s = check_rows("lengths", in.lengths, n, row_rule::length); !s) return s.error();
  if (auto s = check_rows("think_len_original", in.think_len_original, n, row_rule::non_negative);
      !s) {
    return s.error();
  }
  if (auto s = check_rows("answer_prefix_len", in.answer_prefix_len, n, row_rule::non_negative);
      !s) {
    return s.error();
  }
  for (auto [name, v] : {std::pair<const char*, double>{"lc_r1 len_coef", config.len_coef},
                         {"lc_r1 compress_coef", config.compress_coef}}) {
    if (auto s = check_parameter(name, v); !s) return s.error();
  }
  if (!std::isfinite(config.epsilon) || config.epsilon <= 0.0) {
    return fail("lc_r1 epsilon: expected a finite number > 0, got " +
                describe_number(config.epsilon));
  }
  lcr1_output out;
  out.base.resize(n);
  out.len_rewards.assign(n, 0.0);
  out.advantages.resize(n);
  out.compress_bonus.assign(n, 0.0);
  std::vector<bool> right(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.base[i] = in.format_ok[i] + in.accuracy_ok[i];
    right[i] = is_correct(in.format_ok[i]) && is_correct(in.accuracy_ok[i]);
  }
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    bool any_right = false;
    double longest_right = 0.0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      if (!right[*i]) continue;
      longest_right = std::max(longest_right, in.lengths[*i]);
      any_right = true;
    }
    double sum = 0.0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      // Every row of a group with a right row, wrong ones included, gets the length term.
      if (any_right) out.len_rewards[*i] = 1.0 - in.lengths[*i] / (longest_right + config.epsilon);
      sum += out.base[*i] + config.len_coef * out.len_rewards[*i];
    }
    const double mean = sum / static_cast<double>(groups.group_size(g));
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      out.advantages[*i] = out.base[*i] + config.len_coef * out.len_rewards[*i] - mean;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!right[i]) continue;
    const double p = in.answer_prefix_len[i];
    const double t = in.think_len_original[i];
    const double c = (p > 0.0 && p <= t) ? 1.0 - p / (t + config.epsilon) : -1.0;
    out.compress_bonus[i] = config.compress_coef * c;
  }
  return out;
}

// spec/baselines.md §11
result<std::vector<double>> dapo_overlong_penalties(const std::vector<double>& lengths,
                                                    const dapo_overlong_config& config) {
  const std::size_t n = lengths.size();
  if (auto s = check_non_empty("dapo_overlong", n); !s) return s.error();
  if (auto s = check_rows("lengths", lengths, n, row_rule::length); !s) return s.error();
  if (!std::isfinite(config.l_max) || !std::isfinite(config.l_cache) || config.l_cache <= 0.0 ||
      config.l_cache > config.l_max) {
    return fail("dapo_overlong: expected 0 < l_cache <= l_max, got l_cache " +
                describe_number(config.l_cache) + ", l_max " + describe_number(config.l_max));
  }
  if (auto s = check_parameter("dapo_overlong factor", config.factor); !s) return s.error();
  const double start = config.l_max - config.l_cache;
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double l = lengths[i];
    if (l <= start) {
      out[i] = 0.0;
    } else if (l <= config.l_max) {
      out[i] = (start - l) / config.l_cache * config.factor;
    } else {
      out[i] = -config.factor;
    }
  }
  return out;
}

// spec/baselines.md §12
result<std::vector<double>> o1_pruner_rewards(const std::vector<double>& correctness,
                                              const std::vector<double>& lengths,
                                              const std::vector<double>& ref_mean_length,
                                              const std::vector<double>& ref_mean_accuracy,
                                              double lambda) {
  const std::size_t n = correctness.size();
  if (auto s = check_scored_rows("o1_pruner", correctness, lengths, n); !s) return s.error();
  if (auto s = check_rows("ref_mean_length", ref_mean_length, n, row_rule::finite); !s) {
    return s.error();
  }
  if (auto s = check_rows("ref_mean_accuracy", ref_mean_accuracy, n, row_rule::finite); !s) {
    return s.error();
  }
  if (auto s = check_parameter("o1_pruner lambda", lambda); !s) return s.error();
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (ref_mean_length[i] <= 0.0) {
      return fail("ref_mean_length[" + std::to_string(i) + "]: expected a number > 0, got " +
                  describe_number(ref_mean_length[i]));
    }
    if (ref_mean_accuracy[i] < 0.0 || ref_mean_accuracy[i] > 1.0) {
      return fail("ref_mean_accuracy[" + std::to_string(i) +
                  "]: expected a number in [0, 1], got " + describe_number(ref_mean_accuracy[i]));
    }
    out[i] = ref_mean_length[i] / lengths[i] - 1.0 +
             lambda * (indicator(correctness[i]) - ref_mean_accuracy[i]);
  }
  return out;
}

// spec/baselines.md §13
const char* to_string(laser_bucket b) {
  switch (b) {
    case laser_bucket::easy:
      return "easy";
    case laser_bucket::medium:
      return "medium";
    case laser_bucket::hard:
      return "hard";
  }
  return "hard";
}

std::vector<laser_bucket> laser_buckets(const std::vector<double>& correctness,
                                        const group_index& groups) {
  std::vector<laser_bucket> out(groups.num_groups(), laser_bucket::hard);
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    std::size_t correct = 0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      if (*i < correctness.size() && is_correct(correctness[*i])) ++correct;
    }
    const std::size_t k = groups.group_size(g);
    // #correct > 2k/3 and > k/3, compared in integers to avoid rounding at the edges.
    if (3 * correct > 2 * k) {
      out[g] = laser_bucket::easy;
    } else if (3 * correct > k) {
      out[g] = laser_bucket::medium;
    }
  }
  return out;
}

result<laser_output> laser_rewards(const std::vector<double>& correctness,
                                   const std::vector<double>& lengths,
                                   const std::vector<double>& format_valid,
                                   const group_index& groups, laser_variant variant,
                                   const laser_config& config) {
  const std::size_t n = groups.group_of.size();
  if (auto s = check_scored_rows("laser", correctness, lengths, n); !s) return s.error();
  if (!format_valid.empty()) {
    if (auto s = check_rows("format_valid", format_valid, n, row_rule::finite); !s) {
      return s.error();
    }
  }
  for (auto [name, v] : {std::pair<const char*, double>{"laser alpha", config.alpha},
                         {"laser target", config.target},
                         {"laser target_easy", config.target_easy},
                         {"laser target_medium", config.target_medium},
                         {"laser target_hard", config.target_hard},
                         {"laser r_correct", config.r_correct},
                         {"laser r_wrong", config.r_wrong},
                         {"laser r_invalid", config.r_invalid}}) {
    if (auto s = check_parameter(name, v); !s) return s.error();
  }
  laser_output out;
  out.buckets = laser_buckets(correctness, groups);
  out.rewards.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    double target = config.target;
    if (variant != laser_variant::laser) {
      switch (out.buckets[groups.group_of[i]]) {
        case laser_bucket::easy:
          target = config.target_easy;
          break;
        case laser_bucket::medium:
          target = config.target_medium;
          break;
        case laser_bucket::hard:
          target = config.target_hard;
          break;
      }
    }
    if (!format_valid.empty() && !is_correct(format_valid[i])) {
      out.rewards[i] = config.r_invalid;
    } else if (is_correct(correctness[i])) {
      out.rewards[i] = config.r_correct + (lengths[i] <= target ? config.alpha : 0.0);
    } else {
      // LASER-DE's exploration bonus: wrong answers that ran past the target.
      const bool explore = variant == laser_variant::laser_de && lengths[i] > target;
      out.rewards[i] = config.r_wrong + (explore ? config.alpha : 0.0);
    }
  }
  return out;
}

result<double> laser_adaptive_target(const std::vector<double>& monitor_lengths, double min_correct,
                                     double start, double window, double step) {
  if (monitor_lengths.empty()) {
    return fail("laser adaptive target: expected at least one monitoring response, got none");
  }
  if (auto s = check_rows("monitor_lengths", monitor_lengths, monitor_lengths.size(),
                          row_rule::non_negative);
      !s) {
    return s.error();
  }
  if (!std::isfinite(step) || step <= 0.0) {
    return fail("laser adaptive target step: expected a finite number > 0, got " +
                describe_number(step));
  }
  if (!std::isfinite(start) || !std::isfinite(window) || start > window) {
    return fail("laser adaptive target: expected finite start <= window, got start " +
                describe_number(start) + ", window " + describe_number(window));
  }
  if (!std::isfinite(min_correct) || min_correct < 1.0) {
    return fail("laser adaptive target min_correct: expected a number >= 1, got " +
                describe_number(min_correct));
  }
  std::vector<double> sorted = monitor_lengths;
  std::sort(sorted.begin(), sorted.end());
  const double total = static_cast<double>(sorted.size());
  for (std::size_t k = 0;; ++k) {
    const double l = start + static_cast<double>(k) * step;
    if (l > window) break;
    const auto covered = std::upper_bound(sorted.begin(), sorted.end(), l) - sorted.begin();
    if (static_cast<double>(covered) / total * min_correct >= 1.0) return l;
  }
  return window;
}

}  // namespace leadrl::lead
