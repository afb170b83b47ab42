#include "lead/lead_config.hpp"

#include <cmath>
#include <string>

#include "base/number_text.hpp"

namespace leadrl::lead {
namespace {

// "<prefix><field>: expected <what>, got <value>" when `ok` is false or v is not finite.
status check(bool ok, std::string_view prefix, const char* field, const char* what, double v) {
  if (ok && std::isfinite(v)) return status::success();
  return fail(std::string(prefix) + field + ": expected " + what + ", got " + shortest_text(v));
}

}  // namespace

status validate_config(const lead_config& c, std::string_view field_prefix) {
  const auto require = [&](bool ok, const char* field, const char* what, double v) {
    return check(ok, field_prefix, field, what, v);
  };
  for (auto s : {
           require(c.lstar_floor > 0.0, "lstar_floor", "a finite number > 0", c.lstar_floor),
           require(c.bmax >= 1.0, "bmax", "a finite number >= 1", c.bmax),
           require(c.short_len >= 0.0, "short_len", "a finite number >= 0", c.short_len),
           require(c.alpha >= 0.0, "alpha", "a finite number >= 0", c.alpha),
           require(c.beta >= 0.0 && c.beta <= 1.0, "beta", "a number in [0, 1]", c.beta),
           require(c.lambda_min >= 0.0 && c.lambda_min <= 1.0, "lambda_min", "a number in [0, 1]",
                   c.lambda_min),
           require(c.epsilon > 0.0, "epsilon", "a finite number > 0", c.epsilon),
           require(c.grpo_epsilon > 0.0, "grpo_epsilon", "a finite number > 0", c.grpo_epsilon),
           require(c.sigma_floor >= 0.0, "sigma_floor", "a finite number >= 0", c.sigma_floor),
           require(c.whiten_epsilon > 0.0, "whiten_epsilon", "a finite number > 0",
                   c.whiten_epsilon),
           require(true, "correct_threshold", "a finite number", c.correct_threshold),
       }) {
    if (!s) return s;
  }
  if (c.static_lambda_corr) {
    const double w = *c.static_lambda_corr;
    if (auto s =
            require(w >= 0.0 && w <= 1.0, "static_lambda_corr", "a number in [0, 1] or unset", w);
        !s) {
      return s;
    }
  }
  if (c.lstar_table_history < 1) {
    return fail(std::string(field_prefix) + "lstar_table_history: expected an integer >= 1, got " +
                std::to_string(c.lstar_table_history));
  }
  return status::success();
}

std::vector<std::string> config_warnings(const lead_config& c) {
  std::vector<std::string> w;
  if (c.lstar_floor > c.bmax) {
    w.push_back("lstar_floor " + shortest_text(c.lstar_floor) + " > bmax " + shortest_text(c.bmax) +
                ": every aggregated L* equals lstar_floor and every prompt counts as unsolved");
  }
  if (c.lstar_mode == efficiency_mode::max_asym && c.short_len > c.lstar_floor) {
    w.push_back("max_asym with short_len " + shortest_text(c.short_len) + " > lstar_floor " +
                shortest_text(c.lstar_floor) +
                ": correct rollouts shorter than short_len get R_eff = 0; scale short_len down "
                "with the response budget");
  }
  if (c.correct_threshold < 0.0 || c.correct_threshold >= 1.0) {
    w.push_back("correct_threshold " + shortest_text(c.correct_threshold) +
                ": with 0/1 correctness scores every rollout counts as " +
                (c.correct_threshold < 0.0 ? "correct" : "incorrect"));
  }
  return w;
}

}  // namespace leadrl::lead
